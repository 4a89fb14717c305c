/* package.h - model packages on disk, in the Keras / TensorFlow.js "layers"
 * format, so a model trained here loads in TF.js/Keras and one trained
 * there loads here.
 *
 *   <dir>/model.json           {"format": "layers-model", "modelTopology":
 *                               {"class_name": "Sequential", ...every layer
 *                               config spelled out...}, "weightsManifest":
 *                               [{"paths": ["group1-shard1of1.bin"],
 *                                 "weights": [{name, shape, dtype}...]}]}
 *   <dir>/group1-shard*.bin    float32 little-endian, manifest order
 *   <dir>/detector.json        preprocessing mode, scaler groups, window,
 *                              threshold, percentile, score distribution and
 *                              histogram, training-data description, code
 *                              version (absent for a bare Keras/TF.js model)
 *
 * Loading accepts Sequential and linear functional ("Model"/"Functional")
 * topologies of the autoencoder shape (see model.h); it validates layer
 * kinds, configs we cannot honour (recurrent_activation other than sigmoid,
 * dense activation other than linear, use_bias false, ...), shapes, shard
 * sizes and finiteness, and says what is wrong in err.
 */
#ifndef TG_PACKAGE_H
#define TG_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/calibrate.h"
#include "model/model.h"
#include "model/preprocess.h"

#define TG_PACKAGE_ERR_LEN 256

/* Everything beside the network: what detector.json holds. */
struct tg_detector {
	struct tg_scaler *scaler; /* owned; NULL if unknown */
	uint32_t window;
	double threshold;
	double percentile;
	bool calibrated;       /* calib below is valid */
	struct tg_calib calib; /* distribution + histogram */
	char training[512];    /* description of the training data */
	char code_version[64]; /* tickguard version that wrote it */
	char created[32];      /* ISO-8601 UTC */
};

/* Write model.json + one shard (and nothing else) into dir (created if
 * missing). 0 or -errno with a reason in err. */
int tg_model_save_layers(const char *dir, const struct tg_model *m, char *err, size_t errlen);
/* Load model.json + shards from dir. 0 or -errno (-ENOENT, -EINVAL for bad
 * JSON/topology/shape, -EDOM non-finite weights, -EIO) with reason. */
int tg_model_load_layers(const char *dir, struct tg_model **out, char *err, size_t errlen);

/* detector.json alone. load: d is zeroed first; the caller owns d->scaler. */
int tg_detector_save(const char *dir, const struct tg_detector *d, char *err, size_t errlen);
int tg_detector_load(const char *dir, struct tg_detector *d, char *err, size_t errlen);
void tg_detector_clear(struct tg_detector *d); /* frees the scaler, zeroes */

/* Both: a full package. load requires detector.json and checks that its
 * window matches the model's. */
int tg_package_save(const char *dir, const struct tg_model *m, const struct tg_detector *d,
                    char *err, size_t errlen);
int tg_package_load(const char *dir, struct tg_model **m, struct tg_detector *d, char *err,
                    size_t errlen);

#endif
