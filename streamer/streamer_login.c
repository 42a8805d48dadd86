/*
 * NAME
 *	streamer_login.c - POST /api/login off the event loop
 *
 * DESCRIPTION
 *	scrypt costs tens of milliseconds and megabytes: on the worker's
 *	event loop, a few parallel guesses would stall every viewer of the
 *	worker. So the loop only admits an attempt (streamer_limit.c),
 *	copies the user's record (or, for a name the users file does not
 *	hold, a dummy record of the same scrypt parameters: refusing an
 *	unknown name costs what refusing a wrong password costs) and queues
 *	a job. LOGIN_THREADS threads of the worker hash; a finished job
 *	goes on the done list and lws_cancel_service() wakes the loop,
 *	which (LWS_CALLBACK_EVENT_WAIT_CANCELLED, streamer_login_done)
 *	makes the token, asks for the connection's writable callback and
 *	writes the reply there. The threads touch nothing but their jobs
 *	and the two lists (one mutex); the connection is the loop's alone:
 *	a connection that closes while its job is hashed leaves the job
 *	orphaned (wsi NULL), and the loop frees it when it comes back.
 *
 *	The threads run at a lower priority (nice LOGIN_NICE): on a busy
 *	machine the loop's viewers come first and logins wait.
 *
 *	A queue that is full (LOGIN_QUEUE jobs waiting) refuses the attempt
 *	like the limits do: 429, Retry-After 1.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "stage_log.h"
#include "streamer.h"

#define LOGIN_THREADS 2
#define LOGIN_QUEUE 64
#define LOGIN_SOURCE_MAX 64
#define LOGIN_NICE 10

struct login_job {
	struct lws *wsi; /* the loop's: NULL once the connection closed */
	http_req_t *req;
	auth_user_t rec; /* the user's record, or the dummy */
	int known;
	char name[AUTH_NAME_MAX + 1];
	char source[LOGIN_SOURCE_MAX];
	char password[JSON_STR_MAX];
	int ok; /* set by the thread */
	login_job_t *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t more = PTHREAD_COND_INITIALIZER;
static login_job_t *queue, **queue_tail = &queue, *done;
static int nqueue, stopping, nthreads;
static pthread_t threads[LOGIN_THREADS];
static auth_user_t dummy;

static void *
hasher(void *arg)
{
	login_job_t *j;

	(void)arg;
	/* Linux: a thread's own nice value (its tid); failing leaves it as it was */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), LOGIN_NICE);
	pthread_mutex_lock(&lock);
	for (;;) {
		while (queue == NULL && !stopping)
			pthread_cond_wait(&more, &lock);
		if (stopping)
			break;
		j = queue;
		if ((queue = j->next) == NULL)
			queue_tail = &queue;
		nqueue--;
		pthread_mutex_unlock(&lock);
		j->ok = auth_password_check(&j->rec, j->password) == 1 && j->known;
		OPENSSL_cleanse(j->password, sizeof(j->password));
		pthread_mutex_lock(&lock);
		j->next = done;
		done = j;
		if (streamer.ctx)
			lws_cancel_service(streamer.ctx);
	}
	pthread_mutex_unlock(&lock);
	return NULL;
}

int
streamer_login_init(void)
{
	sigset_t all, old;
	int i, rc = 0;

	if ((rc = auth_user_dummy(&dummy)) < 0)
		return rc;
	/* the loop's thread takes the signals: its handlers wake the loop */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < LOGIN_THREADS; i++) {
		if ((rc = pthread_create(&threads[i], NULL, hasher, NULL)) != 0) {
			rc = -rc;
			break;
		}
		nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return nthreads ? 0 : rc;
}

static void
job_free(login_job_t *j)
{
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

void
streamer_login_stop(void)
{
	login_job_t *j;
	int i;

	pthread_mutex_lock(&lock);
	stopping = 1;
	pthread_cond_broadcast(&more);
	pthread_mutex_unlock(&lock);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
	while ((j = queue) != NULL) {
		queue = j->next;
		job_free(j);
	}
	queue_tail = &queue;
	while ((j = done) != NULL) {
		done = j->next;
		job_free(j);
	}
}

static void
reply(http_req_t *r, unsigned status, unsigned retry_after, const char *body)
{
	r->status = status;
	r->retry_after = retry_after;
	snprintf(r->reply, sizeof(r->reply), "%s", body);
	r->reply_ready = 1;
}

int
streamer_login_start(struct lws *wsi, http_req_t *r, const char *user, const char *password)
{
	char source[LOGIN_SOURCE_MAX];
	login_job_t *j;
	unsigned wait;
	int full;

	lws_get_peer_simple(wsi, source, sizeof(source));
	if ((wait = streamer_limit_admit(source, user ? user : "", streamer_now_us())) > 0)
		return (int)wait;
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return 1;
	j->wsi = wsi;
	j->req = r;
	snprintf(j->source, sizeof(j->source), "%s", source);
	snprintf(j->name, sizeof(j->name), "%s", user && auth_name_valid(user) ? user : "");
	snprintf(j->password, sizeof(j->password), "%s", password ? password : "");
	j->known = user != NULL && password != NULL && streamer_auth_record(user, &j->rec) == 0;
	if (!j->known)
		j->rec = dummy;
	pthread_mutex_lock(&lock);
	if (!(full = nqueue >= LOGIN_QUEUE || nthreads == 0)) {
		*queue_tail = j;
		queue_tail = &j->next;
		nqueue++;
		pthread_cond_signal(&more);
	}
	pthread_mutex_unlock(&lock);
	if (full) {
		job_free(j);
		return 1;
	}
	r->job = j;
	return 0;
}

void
streamer_login_forget(http_req_t *r)
{
	if (r->job) {
		r->job->wsi = NULL;
		r->job = NULL;
	}
}

void
streamer_login_done(void)
{
	char tok[AUTH_TOKEN_MAX + 1], body[AUTH_TOKEN_MAX + 32];
	login_job_t *j, *list;

	pthread_mutex_lock(&lock);
	list = done;
	done = NULL;
	pthread_mutex_unlock(&lock);
	while ((j = list) != NULL) {
		list = j->next;
		if (j->wsi == NULL) {
			job_free(j); /* its connection closed meanwhile */
			continue;
		}
		if (j->ok && streamer_auth_issue(j->name, tok, sizeof(tok)) == 0) {
			streamer_limit_success(j->source, j->name, streamer_now_us());
			streamer_count(streamer.m_logins, 1);
			snprintf(body, sizeof(body), "{\"token\":\"%s\"}", tok);
			reply(j->req, 200, 0, body);
		} else {
			streamer_count(streamer.m_refused, 1);
			reply(j->req, 401, 0, "{\"error\":\"wrong user or password\"}");
		}
		j->req->job = NULL;
		lws_callback_on_writable(j->wsi);
		job_free(j);
	}
}
