/* AVX-512 paths: AVX-512F for all types, plus AVX-512 BF16 (narrowing instruction) and AVX-512 FP16
 * (native half arithmetic) where the CPU has them. Masked loads/stores finish binary32 tails. */
#include "internal.h"
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define PREFETCH_BYTES 1024 /* see avx2.c */
#define PREFETCH2(d, s) do { _mm_prefetch((const char *)(d) + PREFETCH_BYTES, _MM_HINT_T0); \
                             _mm_prefetch((const char *)(s) + PREFETCH_BYTES, _MM_HINT_T0); } while (0)

#define AVX512 __attribute__((target("avx512f,avx2,f16c,fma")))
#define AVX512BF16 __attribute__((target("avx512f,avx512dq,avx512bf16,avx2,f16c,fma")))
#define AVX512FP16 __attribute__((target("avx512f,avx512bw,avx512fp16,avx2,f16c,fma")))

AVX512 static inline __m512 max16(__m512 a, __m512 b) {
    __m512 m = _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_max_ps(a, b)), _mm512_castps_si512(_mm512_max_ps(b, a))));
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(a, b, _CMP_UNORD_Q), m, _mm512_add_ps(a, b));
}

AVX512 static void sum_f32(void *dv, const void *sv, size_t n) {
    float *d = dv; const float *s = sv; size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 a0 = _mm512_add_ps(_mm512_loadu_ps(d + i), _mm512_loadu_ps(s + i));
        __m512 a1 = _mm512_add_ps(_mm512_loadu_ps(d + i + 16), _mm512_loadu_ps(s + i + 16));
        __m512 a2 = _mm512_add_ps(_mm512_loadu_ps(d + i + 32), _mm512_loadu_ps(s + i + 32));
        __m512 a3 = _mm512_add_ps(_mm512_loadu_ps(d + i + 48), _mm512_loadu_ps(s + i + 48));
        _mm512_storeu_ps(d + i, a0); _mm512_storeu_ps(d + i + 16, a1);
        _mm512_storeu_ps(d + i + 32, a2); _mm512_storeu_ps(d + i + 48, a3);
    }
    for (; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(d + i, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, d + i), _mm512_maskz_loadu_ps(k, s + i)));
    }
}

AVX512 static void max_f32(void *dv, const void *sv, size_t n) {
    float *d = dv; const float *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a0 = max16(_mm512_loadu_ps(d + i), _mm512_loadu_ps(s + i));
        __m512 a1 = max16(_mm512_loadu_ps(d + i + 16), _mm512_loadu_ps(s + i + 16));
        _mm512_storeu_ps(d + i, a0); _mm512_storeu_ps(d + i + 16, a1);
    }
    for (; i < n; i += 16) {
        __mmask16 k = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        _mm512_mask_storeu_ps(d + i, k, max16(_mm512_maskz_loadu_ps(k, d + i), _mm512_maskz_loadu_ps(k, s + i)));
    }
}

/* bf16 with AVX-512F: as the AVX2 path, 32 values per vector, even/odd halves widened in place. */
AVX512 static inline __m512i bf16_round_hi16(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    return _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7fff)), lsb);
}

AVX512 static inline __m512i merge_bf16(__m512i even_hi, __m512i odd_hi) {
    /* (even >> 16) | (odd & 0xffff0000) */
    return _mm512_ternarylogic_epi32(_mm512_srli_epi32(even_hi, 16), odd_hi, _mm512_set1_epi32((int)0xffff0000u), 0xf8);
}

AVX512 static inline __m512i sum_bf16x32(__m512i a, __m512i b) {
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000u);
    __m512 se = _mm512_add_ps(_mm512_castsi512_ps(_mm512_slli_epi32(a, 16)), _mm512_castsi512_ps(_mm512_slli_epi32(b, 16)));
    __m512 so = _mm512_add_ps(_mm512_castsi512_ps(_mm512_and_si512(a, hi)), _mm512_castsi512_ps(_mm512_and_si512(b, hi)));
    return merge_bf16(bf16_round_hi16(se), bf16_round_hi16(so));
}

AVX512 static inline __m512i max_bf16x32(__m512i a, __m512i b) {
    const __m512i hi = _mm512_set1_epi32((int)0xffff0000u);
    __m512 me = max16(_mm512_castsi512_ps(_mm512_slli_epi32(a, 16)), _mm512_castsi512_ps(_mm512_slli_epi32(b, 16)));
    __m512 mo = max16(_mm512_castsi512_ps(_mm512_and_si512(a, hi)), _mm512_castsi512_ps(_mm512_and_si512(b, hi)));
    return merge_bf16(_mm512_castps_si512(me), _mm512_castps_si512(mo));
}

AVX512 static void sum_bf16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        _mm512_storeu_si512(d + i, sum_bf16x32(_mm512_loadu_si512(d + i), _mm512_loadu_si512(s + i)));
    }
    ck_tail_sum_bf16(d, s, i, n);
}

AVX512 static void max_bf16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        _mm512_storeu_si512(d + i, max_bf16x32(_mm512_loadu_si512(d + i), _mm512_loadu_si512(s + i)));
    }
    ck_tail_max_bf16(d, s, i, n);
}

#define LOADH16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
#define STOREH16(p, v) _mm256_storeu_si256((__m256i *)(p), _mm512_cvtps_ph((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))

AVX512 static void sum_f16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        __m512 a0 = _mm512_add_ps(LOADH16(d + i), LOADH16(s + i));
        __m512 a1 = _mm512_add_ps(LOADH16(d + i + 16), LOADH16(s + i + 16));
        STOREH16(d + i, a0); STOREH16(d + i + 16, a1);
    }
    for (; i + 16 <= n; i += 16) STOREH16(d + i, _mm512_add_ps(LOADH16(d + i), LOADH16(s + i)));
    ck_tail_sum_f16(d, s, i, n);
}

AVX512 static void max_f16(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 16 <= n; i += 16) STOREH16(d + i, max16(LOADH16(d + i), LOADH16(s + i)));
    ck_tail_max_f16(d, s, i, n);
}

const ck_table ck_avx512_table = {
    [CK_DTYPE_F32] = {sum_f32, max_f32},
    [CK_DTYPE_BF16] = {sum_bf16, max_bf16},
    [CK_DTYPE_F16] = {sum_f16, max_f16},
};

/* AVX-512 BF16: VCVTNE2PS2BF16 narrows two binary32 vectors with round to nearest even and the same
 * NaN rule, but flushes subnormal inputs to zero; blocks holding a subnormal sum take the integer
 * rounding instead, so results stay bit-identical. Values are widened in order (zero-extend + shift). */
AVX512BF16 static inline __m512 widen_bf16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }

AVX512BF16 static void sum_bf16_native(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        PREFETCH2(d + i, s + i);
        __m512 lo = _mm512_add_ps(widen_bf16(_mm256_loadu_si256((const __m256i *)(d + i))), widen_bf16(_mm256_loadu_si256((const __m256i *)(s + i))));
        __m512 hi = _mm512_add_ps(widen_bf16(_mm256_loadu_si256((const __m256i *)(d + i + 16))), widen_bf16(_mm256_loadu_si256((const __m256i *)(s + i + 16))));
        __mmask16 sub = _mm512_fpclass_ps_mask(lo, 0x20) | _mm512_fpclass_ps_mask(hi, 0x20);
        if (__builtin_expect(sub == 0, 1)) {
            _mm512_storeu_si512(d + i, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        } else {
            for (int j = 0; j < 16; j++) {
                d[i + j] = ck_f32_to_bf16(((float *)&lo)[j]);
                d[i + 16 + j] = ck_f32_to_bf16(((float *)&hi)[j]);
            }
        }
    }
    ck_tail_sum_bf16(d, s, i, n);
}

const ck_table ck_avx512bf16_table = {
    [CK_DTYPE_BF16] = {sum_bf16_native, 0},
};

/* AVX-512 FP16: half arithmetic is correctly rounded, so it equals the widened computation. */
AVX512FP16 static inline __m512h max32h(__m512h a, __m512h b) {
    __m512h m = _mm512_castsi512_ph(_mm512_and_si512(_mm512_castph_si512(_mm512_max_ph(a, b)), _mm512_castph_si512(_mm512_max_ph(b, a))));
    return _mm512_mask_blend_ph(_mm512_cmp_ph_mask(a, b, _CMP_UNORD_Q), m, _mm512_add_ph(a, b));
}

AVX512FP16 static void sum_f16_native(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512h a0 = _mm512_add_ph(_mm512_loadu_ph(d + i), _mm512_loadu_ph(s + i));
        __m512h a1 = _mm512_add_ph(_mm512_loadu_ph(d + i + 32), _mm512_loadu_ph(s + i + 32));
        _mm512_storeu_ph(d + i, a0); _mm512_storeu_ph(d + i + 32, a1);
    }
    for (; i < n; i += 32) {
        __mmask32 k = n - i >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (n - i)) - 1);
        __m512h a = _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(k, d + i));
        __m512h b = _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(k, s + i));
        _mm512_mask_storeu_epi16(d + i, k, _mm512_castph_si512(_mm512_add_ph(a, b)));
    }
}

AVX512FP16 static void max_f16_native(void *dv, const void *sv, size_t n) {
    uint16_t *d = dv; const uint16_t *s = sv; size_t i = 0;
    for (; i < n; i += 32) {
        __mmask32 k = n - i >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << (n - i)) - 1);
        __m512h a = _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(k, d + i));
        __m512h b = _mm512_castsi512_ph(_mm512_maskz_loadu_epi16(k, s + i));
        _mm512_mask_storeu_epi16(d + i, k, _mm512_castph_si512(max32h(a, b)));
    }
}

const ck_table ck_avx512fp16_table = {
    [CK_DTYPE_F16] = {sum_f16_native, max_f16_native},
};
#endif
