/* Shared scalar helpers of the kernel paths: the bit-level conversions and per-element operations
 * that every vector path must agree with (they also finish the tails of the vector loops). */
#ifndef CKERNELSC_INTERNAL_H
#define CKERNELSC_INTERNAL_H
#include "ckernels.h"
#include <string.h>

static inline uint32_t ck_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float ck_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static inline float ck_bf16_to_f32(uint16_t h) { return ck_float((uint32_t)h << 16); }

/* Round to nearest even; a NaN keeps its sign and upper payload and gets the quiet bit. */
static inline uint16_t ck_f32_to_bf16(float f) {
    uint32_t u = ck_bits(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline float ck_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
    if (exp == 0x1f) return ck_float(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
        float m = (float)mant * 0x1p-24f; /* exact: a subnormal half is mant * 2^-24 */
        return ck_float(sign | ck_bits(m));
    }
    return ck_float(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* Round to nearest even (the magic-number method for results below 2^-14, needs no FTZ/DAZ). */
static inline uint16_t ck_f32_to_f16(float f) {
    uint32_t u = ck_bits(f);
    uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
    uint32_t a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* >= 65520 (or inf) rounds to inf */
    if (a < 0x38800000u) {                                   /* below 2^-14: subnormal half or zero */
        float r = ck_float(a) + 0.5f;                        /* aligns the 10 result bits at the bottom */
        return (uint16_t)(sign | (ck_bits(r) - 0x3f000000u));
    }
    uint32_t r = a + 0xfffu + ((a >> 13) & 1u) - 0x38000000u;
    return (uint16_t)(sign | (r >> 13));
}

static inline float ck_sum1(float a, float b) { return a + b; }

/* max: NaN if either is NaN (a + b gives that NaN, quieted); max(-0, +0) = +0; else the larger. */
static inline float ck_max1(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a > b) return a;
    if (b > a) return b;
    return ck_float(ck_bits(a) & ck_bits(b));
}

/* Scalar tails shared by all paths. */
static inline void ck_tail_sum_f32(float *d, const float *s, size_t i, size_t n) { for (; i < n; i++) d[i] = ck_sum1(d[i], s[i]); }
static inline void ck_tail_max_f32(float *d, const float *s, size_t i, size_t n) { for (; i < n; i++) d[i] = ck_max1(d[i], s[i]); }
static inline void ck_tail_sum_bf16(uint16_t *d, const uint16_t *s, size_t i, size_t n) {
    for (; i < n; i++) d[i] = ck_f32_to_bf16(ck_sum1(ck_bf16_to_f32(d[i]), ck_bf16_to_f32(s[i])));
}
static inline void ck_tail_max_bf16(uint16_t *d, const uint16_t *s, size_t i, size_t n) {
    for (; i < n; i++) d[i] = ck_f32_to_bf16(ck_max1(ck_bf16_to_f32(d[i]), ck_bf16_to_f32(s[i])));
}
static inline void ck_tail_sum_f16(uint16_t *d, const uint16_t *s, size_t i, size_t n) {
    for (; i < n; i++) d[i] = ck_f32_to_f16(ck_sum1(ck_f16_to_f32(d[i]), ck_f16_to_f32(s[i])));
}
static inline void ck_tail_max_f16(uint16_t *d, const uint16_t *s, size_t i, size_t n) {
    for (; i < n; i++) d[i] = ck_f32_to_f16(ck_max1(ck_f16_to_f32(d[i]), ck_f16_to_f32(s[i])));
}

/* Kernel tables of each path, indexed [dtype][op]; entries may be NULL. Filled by the path's file. */
typedef ck_reduce_fn ck_table[CK_DTYPE_COUNT][CK_OP_COUNT];
extern const ck_table ck_scalar_table;
#if defined(__x86_64__) || defined(__i386__)
extern const ck_table ck_avx2_table;
extern const ck_table ck_avx512_table;
extern const ck_table ck_avx512bf16_table;
extern const ck_table ck_avx512fp16_table;
#endif

#endif
