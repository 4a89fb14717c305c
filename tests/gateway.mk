# gateway tests: decode path over real files (no network), and io_uring +
# UDP loopback end to end (with feedsim when it is built).
$(eval $(call tg_test,test_gateway_file,tests/test_gateway_file.c,gateway wire shm common))
$(eval $(call tg_test,test_gateway_udp,tests/test_gateway_udp.c,gateway wire shm common))
