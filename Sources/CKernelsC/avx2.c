/* AVX2 + F16C + FMA path (Haswell, Zen and later): 256-bit vectors, unrolled, scalar tails. */
#include "internal.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,f16c,fma")))

AVX2 static inline __m256 max8(__m256 a, __m256 b) {
    /* maxps returns its second operand on ties and NaNs: AND of both orders gives +0 for (-0, +0)
     * and the value itself for equal values; lanes with a NaN take a + b (that NaN, quieted). */
    __m256 m = _mm256_and_ps(_mm256_max_ps(a, b), _mm256_max_ps(b, a));
    return _mm256_blendv_ps(m, _mm256_add_ps(a, b), _mm256_cmp_ps(a, b, _CMP_UNORD_Q));
}

AVX2 static void sum_f32(void *dv, const void *sv, size_t n) {
    float *d = dv; const float *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 a0 = _mm256_loadu_ps(d + i), a1 = _mm256_loadu_ps(d + i + 8);
        __m256 a2 = _mm256_loadu_ps(d + i + 16), a3 = _mm256_loadu_ps(d + i + 24);
        a0 = _mm256_add_ps(a0, _mm256_loadu_ps(s + i)); a1 = _mm256_add_ps(a1, _mm256_loadu_ps(s + i + 8));
        a2 = _mm256_add_ps(a2, _mm256_loadu_ps(s + i + 16)); a3 = _mm256_add_ps(a3, _mm256_loadu_ps(s + i + 24));
        _mm256_storeu_ps(d + i, a0); _mm256_storeu_ps(d + i + 8, a1);
        _mm256_storeu_ps(d + i + 16, a2); _mm256_storeu_ps(d + i + 24, a3);
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_add_ps(_mm256_loadu_ps(d + i), _mm256_loadu_ps(s + i)));
    ck_tail_sum_f32(d, s, i, n);
}

AVX2 static void max_f32(void *dv, const void *sv, size_t n) {
    float *d = dv; const float *s = sv; size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 a0 = max8(_mm256_loadu_ps(d + i), _mm256_loadu_ps(s + i));
        __m256 a1 = max8(_mm256_loadu_ps(d + i + 8), _mm256_loadu_ps(s + i + 8));
        _mm256_storeu_ps(d + i, a0); _mm256_storeu_ps(d + i + 8, a1);
    }
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, max8(_mm256_loadu_ps(d + i), _mm256_loadu_ps(s + i)));
    ck_tail_max_f32(d, s, i, n);
}

/* bf16: a 256-bit vector holds 16 values; the even ones become binary32 by a left shift of each
 * 32-bit lane, the odd ones by masking off the low half, so no lane crossing is needed. */
AVX2 static inline __m256i bf16_round_hi(__m256 x) {
    /* Round to nearest even into the upper 16 bits. A NaN here always has a zero lower half
     * (it is an operand's NaN or the default NaN), so the bias cannot carry into it. */
    __m256i u = _mm256_castps_si256(x);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    return _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb);
}

AVX2 static inline __m256i sum_bf16x16(__m256i a, __m256i b) {
    const __m256i hi = _mm256_set1_epi32((int)0xffff0000u);
    __m256 se = _mm256_add_ps(_mm256_castsi256_ps(_mm256_slli_epi32(a, 16)), _mm256_castsi256_ps(_mm256_slli_epi32(b, 16)));
    __m256 so = _mm256_add_ps(_mm256_castsi256_ps(_mm256_and_si256(a, hi)), _mm256_castsi256_ps(_mm256_and_si256(b, hi)));
    return _mm256_blend_epi16(_mm256_srli_epi32(bf16_round_hi(se), 16), bf16_round_hi(so), 0xaa);
}

AVX2 static inline __m256i max_bf16x16(__m256i a, __m256i b) {
    /* The max of two widened bf16 is one of them, +0, or a NaN with a zero lower half: exact. */
    const __m256i hi = _mm256_set1_epi32((int)0xffff0000u);
    __m256 me = max8(_mm256_castsi256_ps(_mm256_slli_epi32(a, 16)), _mm256_castsi256_ps(_mm256_slli_epi32(b, 16)));
    __m256 mo = max8(_mm256_castsi256_ps(_mm256_and_si256(a, hi)), _mm256_castsi256_ps(_mm256_and_si256(b, hi)));
    return _mm256_blend_epi16(_mm256_srli_epi32(_mm256_castps_si256(me), 16), _mm256_castps_si256(mo), 0xaa);
}

/* Software prefetch distance for the 16-bit kernels: their extra arithmetic fills the out-of-order window,
 * so without it fewer memory loads are in flight and memory-bound throughput drops by about 20%. */
#define PREFETCH_BYTES 1024
#define PREFETCH2(d, s) do { _mm_prefetch((const char *)(d) + PREFETCH_BYTES, _MM_HINT_T0); \
                             _mm_prefetch((const char *)(s) + PREFETCH_BYTES, _MM_HINT_T0); } while (0)

#define LOADI(p) _mm256_loadu_si256((const __m256i *)(p))
#define STOREI(p, v) _mm256_storeu_si256((__m256i *)(p), (v))

AVX2 static void sum_bf16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        __m256i r0 = sum_bf16x16(LOADI(d + i), LOADI(s + i));
        __m256i r1 = sum_bf16x16(LOADI(d + i + 16), LOADI(s + i + 16));
        STOREI(d + i, r0); STOREI(d + i + 16, r1);
    }
    for (; i + 16 <= n; i += 16) STOREI(d + i, sum_bf16x16(LOADI(d + i), LOADI(s + i)));
    ck_tail_sum_bf16(d, s, i, n);
}

AVX2 static void max_bf16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        __m256i r0 = max_bf16x16(LOADI(d + i), LOADI(s + i));
        __m256i r1 = max_bf16x16(LOADI(d + i + 16), LOADI(s + i + 16));
        STOREI(d + i, r0); STOREI(d + i + 16, r1);
    }
    for (; i + 16 <= n; i += 16) STOREI(d + i, max_bf16x16(LOADI(d + i), LOADI(s + i)));
    ck_tail_max_bf16(d, s, i, n);
}

/* fp16: F16C widens 8 halves to binary32 and narrows with round to nearest even. The binary32
 * sum of two halves rounded once to half equals the correctly rounded half sum (24 >= 2*11+2). */
#define LOADH(p) _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(p)))
#define STOREH(p, v) _mm_storeu_si128((__m128i *)(p), _mm256_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))

AVX2 static void sum_f16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        __m256 a0 = _mm256_add_ps(LOADH(d + i), LOADH(s + i));
        __m256 a1 = _mm256_add_ps(LOADH(d + i + 8), LOADH(s + i + 8));
        __m256 a2 = _mm256_add_ps(LOADH(d + i + 16), LOADH(s + i + 16));
        __m256 a3 = _mm256_add_ps(LOADH(d + i + 24), LOADH(s + i + 24));
        STOREH(d + i, a0); STOREH(d + i + 8, a1); STOREH(d + i + 16, a2); STOREH(d + i + 24, a3);
    }
    for (; i + 8 <= n; i += 8) STOREH(d + i, _mm256_add_ps(LOADH(d + i), LOADH(s + i)));
    ck_tail_sum_f16(d, s, i, n);
}

AVX2 static void max_f16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        __m256 a0 = max8(LOADH(d + i), LOADH(s + i)), a1 = max8(LOADH(d + i + 8), LOADH(s + i + 8));
        __m256 a2 = max8(LOADH(d + i + 16), LOADH(s + i + 16)), a3 = max8(LOADH(d + i + 24), LOADH(s + i + 24));
        STOREH(d + i, a0); STOREH(d + i + 8, a1); STOREH(d + i + 16, a2); STOREH(d + i + 24, a3);
    }
    for (; i + 8 <= n; i += 8) STOREH(d + i, max8(LOADH(d + i), LOADH(s + i)));
    ck_tail_max_f16(d, s, i, n);
}

const ck_table ck_avx2_table = {
    [CK_DTYPE_F32] = {sum_f32, max_f32},
    [CK_DTYPE_BF16] = {sum_bf16, max_bf16},
    [CK_DTYPE_F16] = {sum_f16, max_f16},
};
#endif
