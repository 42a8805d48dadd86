/*
 * NAME
 *	fuzz_hello.c - libFuzzer target for hello decoding and verification
 *
 * DESCRIPTION
 *	Arbitrary bytes go through proto_hello_verify with the test camera's
 *	public key (tests/vectors/camera.pub, embedded below) and, when a
 *	signature verifies (only the seed's can), through the replay cache.
 *	No unwrap is attempted on unverified input, as in the listener.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "proto_crypto.h"

static const char CAMERA_PUB[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApE2NiKTWkl2c0OUiReHS\n"
    "zZLu5j+bXojco40oyCS+4VycKJw6ewghX2ZH8UatLfUQZjCM44twKFbrRZlcq8eg\n"
    "GhFOOa7/M3vqpY73T3qnPaEEqup3HMjvaYZTCQ7YGdXU1qFeflwP4lTDpavn/X2e\n"
    "qrWThi/ah01CY7BtyeK1lHv3InUUrYonpNiIlFYYoPiE1FXnprpC1e2VYkVohhmW\n"
    "4j+YTt0S5HvcnkptennRmxY7uI4rx33joQ+i6c5Ti5McTkh3PBx6VgOIj1VtD5vA\n"
    "BaoSpX4pAkigMGKfB11mmF41DND5yP7EpXV2/7DG8RW/eaHtXoxC3y5B1rI1hspc\n"
    "zwIDAQAB\n"
    "-----END PUBLIC KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *pub;
	static proto_replay_t *replay;
	proto_hello_t h;
	uint8_t *copy;

	if (pub == NULL) {
		BIO *bio = BIO_new_mem_buf(CAMERA_PUB, -1);
		pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		BIO_free(bio);
		replay = proto_replay_new(64, 120000);
		if (pub == NULL || replay == NULL)
			abort();
	}
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	if (proto_hello_verify(copy, size, pub, &h) == 0) {
		if (proto_replay_check(replay, &h, h.camera_ms) == 0)
			proto_replay_commit(replay, &h, h.camera_ms);
	}
	free(copy);
	return 0;
}
