/* flight_helper.c: a lock loop in three phases with known counts, for the
 * flight recorder (WAIT_MAX_SIZE). Each of THREADS threads locks and
 * unlocks its own mutex FIRST times at site_first, BULK times at site_bulk
 * and, after all threads met at a barrier, FINAL times at site_final. With
 * a cap far below the trace's size and FINAL's records well inside it, the
 * report holds no site_first call and exactly THREADS * FINAL lock and
 * unlock calls at site_final. A thread name ("flight-N") is set before
 * the first phase, so it must survive in the kept chunks.
 *   usage: flight_helper THREADS FIRST BULK FINAL
 * Prints a line that depends only on the arguments (the output must be
 * the same with and without libwait). With WAIT_FLIGHT_STOP set, prints
 * "bulk" once the bulk phase runs and never ends it (for a SIGKILL). */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static long first, bulk, final;
static int forever;
static pthread_barrier_t meet;

struct worker {
    pthread_t th;
    pthread_mutex_t mu;
    long count;
    int id;
};

__attribute__((noinline)) static void site_first(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->count++;
    pthread_mutex_unlock(&w->mu);
}

__attribute__((noinline)) static void site_bulk(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->count += 2;
    pthread_mutex_unlock(&w->mu);
}

__attribute__((noinline)) static void site_final(struct worker *w)
{
    pthread_mutex_lock(&w->mu);
    w->count += 3;
    pthread_mutex_unlock(&w->mu);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    char name[16];
    snprintf(name, sizeof name, "flight-%d", w->id);
    pthread_setname_np(pthread_self(), name);
    for (long i = 0; i < first; i++)
        site_first(w);
    if (forever && w->id == 0) {
        fputs("bulk\n", stdout);
        fflush(stdout);
    }
    for (long i = 0; i < bulk || forever; i++)
        site_bulk(w);
    pthread_barrier_wait(&meet);
    for (long i = 0; i < final; i++)
        site_final(w);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: flight_helper THREADS FIRST BULK FINAL\n");
        return 2;
    }
    int n = atoi(argv[1]);
    first = atol(argv[2]);
    bulk = atol(argv[3]);
    final = atol(argv[4]);
    forever = getenv("WAIT_FLIGHT_STOP") != NULL;
    if (n < 1 || n > 64)
        return 2;
    struct worker *w = calloc((size_t)n, sizeof *w);
    pthread_barrier_init(&meet, NULL, (unsigned)n);
    for (int i = 0; i < n; i++) {
        w[i].id = i;
        pthread_mutex_init(&w[i].mu, NULL);
        pthread_create(&w[i].th, NULL, run, &w[i]);
    }
    long sum = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].th, NULL);
        sum += w[i].count;
    }
    printf("threads %d, first %ld, bulk %ld, final %ld: sum %ld\n", n, first, bulk, final, sum);
    free(w);
    return 0;
}
