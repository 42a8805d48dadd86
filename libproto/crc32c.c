/*
 * NAME
 *	crc32c.c - CRC-32C (Castagnoli) for storage records and file headers
 *
 * DESCRIPTION
 *	CRC-32C: reflected polynomial 0x82F63B78 (0x1EDC6F41 unreflected),
 *	initial value 0xFFFFFFFF, input and output reflected, final xor
 *	0xFFFFFFFF; check value crc32c("123456789") = 0xE3069283.
 *
 *	Two implementations compute the same function: a portable
 *	slicing-by-8 table walk, and the SSE4.2 crc32 instruction on x86-64,
 *	chosen once at run time with __builtin_cpu_supports(). The
 *	instruction takes three cycles but can start one every cycle, so the
 *	hardware path cuts a buffer into three streams of k bytes each (k a
 *	third of the buffer, at most CRC32C_BLOCK) and joins them: the CRC
 *	is affine in its state, so crc(A || B) = shift(crc(A), |B|) ^
 *	crc0(B), where shift is "process |B| zero bytes", multiplication by
 *	x^(8|B|) modulo the polynomial. One carry-less multiply (PCLMULQDQ)
 *	by x^(8|B| - 33), precomputed for every multiple of 8 up to
 *	2 * CRC32C_BLOCK, and one crc32 of the 64-bit product do that (the
 *	technique of Intel's crc_pcl and Mark Adler's crc32c.c). Cutting by
 *	thirds matters for storage records, mostly a few hundred bytes: a
 *	408-byte record costs a third of a single stream's latency chain.
 *	Loads are unaligned (x86 does not mind), so no byte-wise head loop.
 *	Without PCLMULQDQ the instruction runs as one stream. The calls
 *	chain like zlib's crc32(): start from 0 and pass the previous result
 *	to continue over the next piece.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#include <wmmintrin.h>
#endif

#include "proto.h"
#include "proto_record.h"

#define CRC32C_POLY 0x82F63B78u
#define CRC32C_BLOCK 1024 /* most bytes per stream and step: 3 x 1024 per step */
#define CRC32C_MIN3 48    /* below this, one stream: joining costs more than it saves */

static uint32_t crc32c_table[8][256];
#if defined(__x86_64__)
/* crc32c_xpow[n]: x^(64n - 33) mod P, reflected, to shift a state by 8n bytes */
static uint32_t crc32c_xpow[2 * CRC32C_BLOCK / 8 + 1];
static int crc32c_has_clmul;
#endif
static uint32_t (*crc32c_impl)(uint32_t, const uint8_t *, size_t);
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static uint32_t
crc32c_sw_raw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		/* Little-endian load of 8 bytes, independent of host order. */
		uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				     (uint32_t)p[3] << 24);
		uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
			      (uint32_t)p[7] << 24;
		crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
		      crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
		      crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len-- > 0)
		crc = crc32c_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
/*
 * The raw state c after 8n zero bytes: c * x^(64n) mod P. The carry-less
 * product of two reflected 32-bit values is the product times x as a
 * reflected 64-bit value, and crc32 of it from 0 multiplies by x^32 and
 * reduces: c * x^(64n - 33) * x * x^32.
 */
__attribute__((target("sse4.2,pclmul"))) static inline uint64_t
crc32c_shift(uint64_t c, size_t n)
{
	__m128i m = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)(uint32_t)c),
					 _mm_cvtsi32_si128((int)crc32c_xpow[n]), 0);

	return _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(m));
}

__attribute__((target("sse4.2,pclmul"))) static uint32_t
crc32c_hw_raw(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc, v;

	while (crc32c_has_clmul && len >= CRC32C_MIN3) { /* three streams, then joined */
		size_t k = len / 24 < CRC32C_BLOCK / 8 ? len / 24 : CRC32C_BLOCK / 8, i;
		uint64_t c1 = 0, c2 = 0, v1, v2;

		for (i = 0; i < 8 * k; i += 8) {
			memcpy(&v, p + i, 8);
			memcpy(&v1, p + 8 * k + i, 8);
			memcpy(&v2, p + 16 * k + i, 8);
			c = _mm_crc32_u64(c, v);
			c1 = _mm_crc32_u64(c1, v1);
			c2 = _mm_crc32_u64(c2, v2);
		}
		/* the two shifts do not depend on each other */
		c = crc32c_shift(c, 2 * k) ^ crc32c_shift(c1, k) ^ c2;
		p += 24 * k;
		len -= 24 * k;
	}
	while (len >= 8) {
		memcpy(&v, p, 8);
		c = _mm_crc32_u64(c, v);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		c = _mm_crc32_u32((uint32_t)c, w);
		p += 4;
		len -= 4;
	}
	while (len-- > 0)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

static void
crc32c_init(void)
{
	uint32_t (*impl)(uint32_t, const uint8_t *, size_t) = crc32c_sw_raw;
	uint32_t n, k, c;

	for (n = 0; n < 256; n++) {
		c = n;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][n] = c;
	}
	for (n = 0; n < 256; n++) {
		c = crc32c_table[0][n];
		for (k = 1; k < 8; k++) {
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
			crc32c_table[k][n] = c;
		}
	}
#if defined(__x86_64__)
	/* x^(64n - 33): x^31 for n = 1 (bit 0 of a reflected value is x^31), then times x^64 */
	c = 1;
	for (n = 1; n < sizeof(crc32c_xpow) / sizeof(crc32c_xpow[0]); n++) {
		crc32c_xpow[n] = c;
		for (k = 0; k < 64; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
	}
	__builtin_cpu_init();
	crc32c_has_clmul = __builtin_cpu_supports("pclmul");
	if (__builtin_cpu_supports("sse4.2"))
		impl = crc32c_hw_raw;
#endif
	/* the tables before the pointer that proto_crc32c tests without the once-call */
	__atomic_store_n(&crc32c_impl, impl, __ATOMIC_RELEASE);
}

uint32_t
proto_crc32c(uint32_t crc, const void *buf, size_t len)
{
	/* once set, crc32c_impl never changes: skip the once-call (two per record) */
	uint32_t (*f)(uint32_t, const uint8_t *, size_t) =
	    __atomic_load_n(&crc32c_impl, __ATOMIC_ACQUIRE);

	if (f == NULL) {
		pthread_once(&crc32c_once, crc32c_init);
		f = crc32c_impl;
	}
	return ~f(~crc, buf, len);
}

uint32_t
proto_crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	return ~crc32c_sw_raw(~crc, buf, len);
}

int
proto_crc32c_hw_available(void)
{
#if defined(__x86_64__)
	pthread_once(&crc32c_once, crc32c_init);
	return crc32c_impl == crc32c_hw_raw;
#else
	return 0;
#endif
}

uint32_t
proto_crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
#if defined(__x86_64__)
	if (proto_crc32c_hw_available())
		return ~crc32c_hw_raw(~crc, buf, len);
#endif
	return proto_crc32c_sw(crc, buf, len);
}
