/*
 * On x86-64, TL_VECTOR_CLONES before a function makes a second copy of it
 * for AVX2 (8 floats or 4 doubles an instruction instead of SSE2's 4 or
 * 2), picked at run time.  Without FMA contraction (ISO C mode) both
 * copies give the same bits.
 */
#ifndef TL_CLONES_H
#define TL_CLONES_H

#if defined(__x86_64__) && (defined(__clang__) || __GNUC__ >= 6)
#define TL_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TL_VECTOR_CLONES
#endif

#endif
