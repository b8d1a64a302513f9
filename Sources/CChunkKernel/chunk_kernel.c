#include "chunk_kernel.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define FU_SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

static const uint32_t K[64] __attribute__((aligned(16))) = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static int detect(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    const int sha = (b >> 29) & 1;
    return ssse3 && sse41 && sha;
}

int fu_sha256_available(void) {
    // CPUID traps to the hypervisor in a virtual machine: ask once. Threads that
    // race here store the same value.
    static int known = -1;
    int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (value < 0) {
        value = detect();
        __atomic_store_n(&known, value, __ATOMIC_RELAXED);
    }
    return value;
}

/// SHA-256 state as the SHA instructions keep it: ABEF and CDGH.
typedef struct {
    __m128i abef, cdgh;
} lanes;

FU_SHA_TARGET
static inline lanes load_state(const uint32_t state[8]) {
    const __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[0]), 0xB1);
    const __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&state[4]), 0x1B);
    return (lanes){_mm_alignr_epi8(dcba, efgh, 8), _mm_blend_epi16(efgh, dcba, 0xF0)};
}

FU_SHA_TARGET
static inline void store_state(lanes s, uint32_t state[8]) {
    const __m128i feba = _mm_shuffle_epi32(s.abef, 0x1B);
    const __m128i dchg = _mm_shuffle_epi32(s.cdgh, 0xB1);
    _mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xF0));
    _mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

/// One 64-byte block of the SHA-256 compression function (FIPS 180-4), four
/// rounds per pair of SHA256RNDS2.
FU_SHA_TARGET
static inline lanes block(lanes s, const uint8_t *data) {
    const __m128i byteswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i s0 = s.abef, s1 = s.cdgh;
    __m128i w[4];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) {
        __m128i m;
        if (i < 4) {
            m = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * i)), byteswap);
        } else {
            // W[t..t+3] from W[t-16..t-13], W[t-12..t-9], W[t-8..t-5] and W[t-4..t-1].
            m = _mm_sha256msg1_epu32(w[i & 3], w[(i + 1) & 3]);
            m = _mm_add_epi32(m, _mm_alignr_epi8(w[(i + 3) & 3], w[(i + 2) & 3], 4));
            m = _mm_sha256msg2_epu32(m, w[(i + 3) & 3]);
        }
        w[i & 3] = m;
        const __m128i k = _mm_add_epi32(m, _mm_load_si128((const __m128i *)&K[4 * i]));
        s1 = _mm_sha256rnds2_epu32(s1, s0, k);
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0E));
    }
    return (lanes){_mm_add_epi32(s0, s.abef), _mm_add_epi32(s1, s.cdgh)};
}

FU_SHA_TARGET
static void compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    lanes s = load_state(state);
    for (; blocks; blocks--, data += 64) s = block(s, data);
    store_state(s, state);
}

#else

int fu_sha256_available(void) { return 0; }

static void compress(uint32_t state[8], const uint8_t *data, size_t blocks) {
    (void)state; (void)data; (void)blocks;
    __builtin_trap(); // callers check fu_sha256_available() first
}

#endif

void fu_sha256_init(fu_sha256 *ctx) {
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(ctx->state, initial, sizeof initial);
    ctx->length = 0;
}

void fu_sha256_update(fu_sha256 *ctx, const void *data, size_t count) {
    const uint8_t *bytes = data;
    size_t used = (size_t)(ctx->length & 63);
    ctx->length += count;
    if (used) {
        size_t take = 64 - used < count ? 64 - used : count;
        memcpy(ctx->buffer + used, bytes, take);
        bytes += take;
        count -= take;
        if (used + take < 64) return;
        compress(ctx->state, ctx->buffer, 1);
    }
    if (count >= 64) {
        compress(ctx->state, bytes, count / 64);
        bytes += count & ~(size_t)63;
        count &= 63;
    }
    if (count) memcpy(ctx->buffer, bytes, count);
}

void fu_sha256_final(fu_sha256 *ctx, uint8_t digest[32]) {
    const uint64_t bits = ctx->length * 8;
    size_t used = (size_t)(ctx->length & 63);
    ctx->buffer[used++] = 0x80;
    if (used > 56) {
        memset(ctx->buffer + used, 0, 64 - used);
        compress(ctx->state, ctx->buffer, 1);
        used = 0;
    }
    memset(ctx->buffer + used, 0, 56 - used);
    for (int i = 0; i < 8; i++) ctx->buffer[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
    compress(ctx->state, ctx->buffer, 1);
    for (int i = 0; i < 8; i++) {
        digest[4 * i] = (uint8_t)(ctx->state[i] >> 24);
        digest[4 * i + 1] = (uint8_t)(ctx->state[i] >> 16);
        digest[4 * i + 2] = (uint8_t)(ctx->state[i] >> 8);
        digest[4 * i + 3] = (uint8_t)ctx->state[i];
    }
}

/// Rolls the gear hash over `start..<limit`: returns the position just after the
/// first byte where `hash & mask == 0`, or 0 (never a cut, which is past
/// `min_size`) with `*hash` carried on.
static inline size_t scan(const uint8_t *d, size_t start, size_t limit, uint64_t *hash, uint64_t mask,
                          const uint64_t *g) {
    uint64_t h = *hash;
    size_t i = start;
    for (; i + 4 <= limit; i += 4) {
        // h(k+1) = 2·h(k) + G[byte]: the four hashes are h shifted plus sums of
        // the step's table values, which do not wait for the previous step.
        const uint64_t a = g[d[i]], b = g[d[i + 1]], c = g[d[i + 2]], e = g[d[i + 3]];
        const uint64_t ab = (a << 1) + b, abc = (ab << 1) + c, abce = (abc << 1) + e;
        const uint64_t h1 = (h << 1) + a, h2 = (h << 2) + ab, h3 = (h << 3) + abc, h4 = (h << 4) + abce;
        if (__builtin_expect(!(h1 & mask), 0)) { *hash = h1; return i + 1; }
        if (__builtin_expect(!(h2 & mask), 0)) { *hash = h2; return i + 2; }
        if (__builtin_expect(!(h3 & mask), 0)) { *hash = h3; return i + 3; }
        if (__builtin_expect(!(h4 & mask), 0)) { *hash = h4; return i + 4; }
        h = h4;
    }
    for (; i < limit; i++) {
        h = (h << 1) + g[d[i]];
        if (!(h & mask)) { *hash = h; return i + 1; }
    }
    *hash = h;
    return 0;
}

size_t fu_cut(const uint8_t *data, size_t count, const fu_chunking *c) {
    if (count <= c->min_size) return count;
    const size_t end = count < c->max_size ? count : c->max_size;
    const size_t normal = end < c->average_size ? end : c->average_size;
    uint64_t h = 0;
    size_t found = scan(data, c->min_size, normal, &h, c->mask_small, c->gear);
    if (found) return found;
    found = scan(data, normal, end, &h, c->mask_large, c->gear);
    return found ? found : end;
}

#if defined(__x86_64__)

/// A message hashed in one of the two lanes of `fu_sha256_chunks`.
typedef struct {
    lanes state;
    const uint8_t *begin, *next, *end; // its full blocks: begin..<next hashed, next..<end left
    long job;                          // a chunk's index, FILE_JOB or IDLE
} lane;

enum { IDLE = -2, FILE_JOB = -1 };

FU_SHA_TARGET
static void run_one(lane *l) {
    lanes s = l->state;
    for (; l->next < l->end; l->next += 64) s = block(s, l->next);
    l->state = s;
}

/// Both lanes for `blocks` blocks, interleaved: one message keeps the SHA unit
/// waiting for each round's result, two keep it busy.
FU_SHA_TARGET
static void run_two(lane *a, lane *b, size_t blocks) {
    lanes x = a->state, y = b->state;
    const uint8_t *p = a->next, *q = b->next;
    for (size_t i = 0; i < blocks; i++, p += 64, q += 64) {
        x = block(x, p);
        y = block(y, q);
    }
    a->state = x, a->next = p;
    b->state = y, b->next = q;
}

/// Puts the full blocks of the `length` bytes at `start` in `l`, carrying on from
/// `context` (which must be at a block boundary).
FU_SHA_TARGET
static void start_lane(lane *l, const fu_sha256 *context, const uint8_t *start, size_t length, long job) {
    l->state = load_state(context->state);
    l->begin = l->next = start;
    l->end = start + length / 64 * 64;
    l->job = job;
}

/// Hands the lane's state back to `context`, which has then taken the lane's blocks.
FU_SHA_TARGET
static void end_lane(const lane *l, fu_sha256 *context) {
    store_state(l->state, context->state);
    context->length += (uint64_t)(l->end - l->begin);
}

/// A new message's context after the lane's blocks (to add its last bytes to).
FU_SHA_TARGET
static fu_sha256 context_of(const lane *l) {
    fu_sha256 context;
    fu_sha256_init(&context);
    end_lane(l, &context);
    return context;
}

/// The digest of a new message whose full blocks the lane has hashed and which ends at `end`.
FU_SHA_TARGET
static void finish_message(const lane *l, const uint8_t *end, uint8_t digest[32]) {
    fu_sha256 context = context_of(l);
    fu_sha256_update(&context, l->end, (size_t)(end - l->end));
    fu_sha256_final(&context, digest);
}

FU_SHA_TARGET
void fu_sha256_pair(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length, uint8_t a_digest[32],
                    uint8_t b_digest[32]) {
    fu_sha256 fresh;
    fu_sha256_init(&fresh);
    lane x, y;
    start_lane(&x, &fresh, a, a_length, 0);
    start_lane(&y, &fresh, b, b_length, 1);
    const size_t x_blocks = a_length / 64, y_blocks = b_length / 64;
    run_two(&x, &y, x_blocks < y_blocks ? x_blocks : y_blocks);
    run_one(&x);
    run_one(&y);
    finish_message(&x, a + a_length, a_digest);
    finish_message(&y, b + b_length, b_digest);
}

FU_SHA_TARGET
void fu_sha256_chunks(const uint8_t *data, const size_t *ends, size_t count, uint8_t *digests, fu_sha256 *file) {
    if (count == 0) return;
    const size_t total = ends[count - 1];
    // A fresh file hash starts as the first chunk's: it takes that chunk's state
    // once the chunk's full blocks are done instead of hashing them again.
    const int seed = file && file->length == 0;
    enum { NONE, WAITING, READY } file_job = !file ? NONE : seed ? WAITING : READY;
    size_t file_from = 0;
    if (file_job == READY && (file->length & 63)) {
        // Complete the file's partial block first, so that its lane starts on a boundary.
        const size_t missing = 64 - (size_t)(file->length & 63);
        file_from = missing < total ? missing : total;
        fu_sha256_update(file, data, file_from);
    }
    fu_sha256 fresh;
    fu_sha256_init(&fresh);
    lane lane_of[2] = {{.job = IDLE}, {.job = IDLE}};
    size_t next_chunk = 0;
    for (;;) {
        for (int k = 0; k < 2; k++) {
            lane *l = &lane_of[k];
            if (l->job != IDLE) continue;
            if (file_job == READY) {
                start_lane(l, file, data + file_from, total - file_from, FILE_JOB);
                file_job = NONE;
            } else if (next_chunk < count) {
                const size_t from = next_chunk ? ends[next_chunk - 1] : 0;
                start_lane(l, &fresh, data + from, ends[next_chunk] - from, (long)next_chunk);
                next_chunk++;
            }
        }
        lane *a = &lane_of[0], *b = &lane_of[1];
        if (a->job == IDLE && b->job == IDLE) break;
        if (a->job != IDLE && b->job != IDLE) {
            const size_t left_a = (size_t)(a->end - a->next) / 64, left_b = (size_t)(b->end - b->next) / 64;
            run_two(a, b, left_a < left_b ? left_a : left_b);
        } else {
            run_one(a->job != IDLE ? a : b);
        }
        for (int k = 0; k < 2; k++) {
            lane *l = &lane_of[k];
            if (l->job == IDLE || l->next < l->end) continue;
            const size_t done_at = (size_t)(l->end - data);
            if (l->job == FILE_JOB) {
                end_lane(l, file);
                fu_sha256_update(file, l->end, total - done_at);
            } else {
                const size_t index = (size_t)l->job;
                if (index == 0 && seed) {
                    *file = context_of(l);
                    file_from = done_at;
                    file_job = READY;
                }
                finish_message(l, data + ends[index], digests + 32 * index);
            }
            l->job = IDLE;
        }
    }
}

#else

void fu_sha256_chunks(const uint8_t *data, const size_t *ends, size_t count, uint8_t *digests, fu_sha256 *file) {
    (void)data; (void)ends; (void)count; (void)digests; (void)file;
    __builtin_trap(); // callers check fu_sha256_available() first
}

void fu_sha256_pair(const uint8_t *a, size_t a_length, const uint8_t *b, size_t b_length, uint8_t a_digest[32],
                    uint8_t b_digest[32]) {
    (void)a; (void)a_length; (void)b; (void)b_length; (void)a_digest; (void)b_digest;
    __builtin_trap(); // callers check fu_sha256_available() first
}

#endif
