/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the steering audit's header parser on any bytes. The first byte picks how
 * many of the frame's bytes are readable (headers split across buffers); the frame is an
 * exact-size allocation, so ASan sees any read past it. A parsed frame must give a key the
 * formatter prints and that the table accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vl_steer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct vl_steer *fuzz_steer;
static struct vl_steer_qp *fuzz_qp;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vl_steer_key key;
	char buf[VL_STEER_KEY_STRLEN];
	uint32_t frame_len, hdr_len;
	uint8_t *frame;

	if (size < 1)
		return 0;
	if (fuzz_steer == NULL) {
		fuzz_steer = vl_steer_create();
		fuzz_qp = vl_steer_qp_add(fuzz_steer, "fuzz", 0, 0);
		if (fuzz_qp == NULL)
			abort();
	}
	frame_len = (uint32_t)(size - 1);
	hdr_len = data[0] == 0xff ? frame_len : (data[0] < frame_len ? data[0] : frame_len);
	frame = malloc(frame_len ? frame_len : 1);
	if (frame == NULL)
		return 0;
	memcpy(frame, data + 1, frame_len);
	if (vl_steer_parse(frame, hdr_len, frame_len, &key) == 0) {
		if (key.kind == VL_STEER_NONE || key.kind > VL_STEER_IPV6)
			abort();
		vl_steer_key_format(&key, buf, sizeof(buf));
		if (memchr(buf, '\0', sizeof(buf)) == NULL)
			abort();
	}
	vl_steer_account(fuzz_qp, frame, hdr_len, frame_len);
	vl_steer_qp_tick(fuzz_qp);
	vl_steer_collect(fuzz_steer, false);
	free(frame);
	return 0;
}
