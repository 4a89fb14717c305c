/* wire.c - the reasons behind wire/'s error codes, one table so the
 * counters a caller keeps per reason and the messages it prints agree. */
#include <string.h>

#include "wire/wire.h"

static const struct {
	int err;
	const char *name;
	const char *reason;
} wire_errs[TG_WIRE_NERR] = {
    {0, "other", "other error"},
    {TG_WIRE_ETRUNC, "truncated", "truncated: the buffer ends before the message or packet"},
    {TG_WIRE_ELEN, "length", "length mismatch: the length field disagrees with the type"},
    {TG_WIRE_ETYPE, "unknown_type", "unknown message type"},
    {TG_WIRE_EEMPTY, "empty", "empty (zero-length) message"},
    {TG_WIRE_ESPACE, "no_space", "output buffer or packet too small"},
    {TG_WIRE_EFORMAT, "bad_header", "bad header field (magic, version, IHL or length)"},
    {TG_WIRE_EFRAG, "fragment", "IPv4 fragment (reassembly not supported)"},
    {TG_WIRE_ENOTUDP, "not_udp", "frame is not IPv4/UDP"},
    {TG_WIRE_ETRAIL, "trailing", "bytes left over after the last message"},
    {TG_WIRE_EINVAL, "invalid", "invalid argument"},
};

unsigned tg_wire_err_index(int err)
{
	for (unsigned i = 1; i < TG_WIRE_NERR; i++)
		if (wire_errs[i].err == err)
			return i;
	return 0;
}

const char *tg_wire_err_name(unsigned i)
{
	return i < TG_WIRE_NERR ? wire_errs[i].name : "other";
}

const char *tg_wire_strerror(int err)
{
	unsigned i = tg_wire_err_index(err);
	if (i)
		return wire_errs[i].reason;
	return err < 0 ? strerror(-err) : "success";
}
