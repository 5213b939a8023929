/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vl-c2c: how far apart two CPUs are, as the round trip of one cache line between them.
 *
 * Two threads, one pinned to each CPU, take turns writing a counter on a shared line: each
 * waits for the other's value and answers with the next, so every step moves the line from one
 * CPU's cache to the other's. The time of a batch of round trips over its size is one sample;
 * the median of the samples is printed (ns per round trip = two line transfers).
 *
 * Before that, each thread times a chain of dependent multiply-adds on its own CPU: the time
 * of one link says how fast that core runs now (its clock, and whether a sibling hyperthread
 * takes part of it), independent of any cache.
 *
 * bench/compare runs it before and after every run: a loopback at 64 B moves a handful of
 * lines per frame between the generator's CPU and the backend's, and each of them runs a busy
 * loop, so its rate follows these figures; on a VM the host can change them whenever it moves
 * or shares a vCPU.
 *
 * Usage: vl-c2c CPU_A CPU_B [SAMPLES]   (prints one JSON object; exit 2 on bad arguments,
 * 1 when the other side stops answering)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define C2C_BATCH 2000 /* round trips per sample */
#define C2C_SAMPLES_MAX 1000
#define C2C_SPIN_LIMIT (1u << 28) /* a partner that never answers: give up, do not hang */
#define C2C_CHAIN 2000000	  /* links of the dependent chain that times a core */

struct c2c_line {
	_Alignas(64) volatile uint64_t turn;
	char pad[64 - sizeof(uint64_t)];
};

struct c2c_peer {
	int cpu;
	unsigned samples;
	int err;
	double link_ns;
};

static struct c2c_line shared;

static int
c2c_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/* Wait until the line holds want; 0, or -1 when the partner stopped answering. */
static int
c2c_wait(uint64_t want)
{
	uint32_t spins = 0;

	while (__atomic_load_n(&shared.turn, __ATOMIC_ACQUIRE) != want) {
		__builtin_ia32_pause();
		if (++spins == C2C_SPIN_LIMIT)
			return -1;
	}
	return 0;
}

static double
c2c_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per link of a chain of dependent multiply-adds (each waits for the one before). */
static double
c2c_chain_ns(void)
{
	uint64_t x = 1;
	double t0 = c2c_now_ns();

	for (unsigned k = 0; k < C2C_CHAIN; k++) {
		x = x * 0x9e3779b97f4a7c15ull + k;
		__asm__ volatile("" : "+r"(x));
	}
	return (c2c_now_ns() - t0) / C2C_CHAIN;
}

/* The answering side: odd values are the prober's, it answers each with the next even one. */
static void *
c2c_answer(void *arg)
{
	struct c2c_peer *p = arg;
	uint64_t total = (uint64_t)(p->samples + 1) * C2C_BATCH;

	p->err = c2c_pin(p->cpu);
	if (p->err != 0)
		return NULL;
	p->link_ns = c2c_chain_ns();
	__atomic_store_n(&shared.turn, 0, __ATOMIC_RELEASE);
	for (uint64_t i = 0; i < total; i++) {
		if (c2c_wait(2 * i + 1) < 0) {
			p->err = ETIMEDOUT;
			break;
		}
		__atomic_store_n(&shared.turn, 2 * i + 2, __ATOMIC_RELEASE);
	}
	return NULL;
}

static int
c2c_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
c2c_parse(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && *out >= lo && *out <= hi ? 0 : -1;
}

int
main(int argc, char **argv)
{
	static double ns[C2C_SAMPLES_MAX];
	struct c2c_peer peer = {0};
	long a, b, samples = 50;
	double link_ns_a;
	uint64_t i = 0;
	json_t *out;
	pthread_t t;

	if (argc < 3 || argc > 4 || c2c_parse(argv[1], 0, CPU_SETSIZE - 1, &a) < 0 ||
	    c2c_parse(argv[2], 0, CPU_SETSIZE - 1, &b) < 0 || a == b ||
	    (argc == 4 && c2c_parse(argv[3], 1, C2C_SAMPLES_MAX, &samples) < 0)) {
		fprintf(stderr, "usage: vl-c2c CPU_A CPU_B [SAMPLES 1..%d] (two different CPUs)\n",
			C2C_SAMPLES_MAX);
		return 2;
	}
	if (c2c_pin((int)a) != 0) {
		fprintf(stderr, "vl-c2c: cannot run on CPU %ld\n", a);
		return 2;
	}
	peer.cpu = (int)b;
	peer.samples = (unsigned)samples;
	shared.turn = UINT64_MAX;
	link_ns_a = c2c_chain_ns();
	if (pthread_create(&t, NULL, c2c_answer, &peer) != 0) {
		fprintf(stderr, "vl-c2c: cannot start a thread\n");
		return 1;
	}
	if (c2c_wait(0) < 0) {
		pthread_join(t, NULL);
		fprintf(stderr, "vl-c2c: cannot run on CPU %ld\n", b);
		return 2;
	}
	/* One batch to warm up, then the samples. */
	for (long s = -1; s < samples; s++) {
		double t0 = c2c_now_ns();

		for (unsigned k = 0; k < C2C_BATCH; k++, i++) {
			__atomic_store_n(&shared.turn, 2 * i + 1, __ATOMIC_RELEASE);
			if (c2c_wait(2 * i + 2) < 0) {
				pthread_join(t, NULL);
				fprintf(stderr, "vl-c2c: CPU %ld stopped answering\n", b);
				return 1;
			}
		}
		if (s >= 0)
			ns[s] = (c2c_now_ns() - t0) / C2C_BATCH;
	}
	pthread_join(t, NULL);
	qsort(ns, (size_t)samples, sizeof(ns[0]), c2c_cmp);
	out = json_pack("{s:[I,I],s:I,s:i,s:f,s:f,s:f,s:[f,f]}", "cpus", (json_int_t)a,
			(json_int_t)b, "samples", (json_int_t)samples, "batch", C2C_BATCH,
			"round_trip_ns_median", ns[samples / 2], "round_trip_ns_min", ns[0],
			"round_trip_ns_max", ns[samples - 1], "chain_link_ns", link_ns_a,
			peer.link_ns);
	if (out == NULL || json_dumpf(out, stdout, JSON_REAL_PRECISION(6)) != 0) {
		fprintf(stderr, "vl-c2c: cannot write the result\n");
		return 1;
	}
	putchar('\n');
	json_decref(out);
	return 0;
}
