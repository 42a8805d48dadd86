/*
 * NAME
 *	vigild_main.c - vigild, the master process
 *
 * DESCRIPTION
 *	vigild [-c FILE] [-n] [-f] [-D] [-h]
 *
 *	Reads the configuration (-n: check it and exit; -D prints every key
 *	of vigil.conf with its default; libstage's tables), creates the shared
 *	segments (the status segment, one ring from the listener to each
 *	writer, and with a syncd stage the two rings between the listener
 *	and syncd), starts every configured stage (one writer per partition),
 *	(vigild_shm.c), and supervises them (vigild_super.c): a stage that
 *	dies is restarted with a throttle (vigild_stage.c); `vigilctl restart
 *	STAGE [N]` restarts one stage while the others run on. Signals only
 *	set flags; the loop acts on them. SIGTERM stops gracefully: the
 *	listener first, then, once the rings are drained (or
 *	drain_timeout_ms passed), every other stage (vigild_stop.c); vigild
 *	exits 0 when all are gone. SIGHUP rereads the restart and drain
 *	settings, and a new writers (or writer_shards) at a safe point
 *	(vigild_reload.c). -f stays in the foreground (for systemd and tests).
 *
 *	One vigild runs a configuration (its shm_prefix): a second exits 1
 *	with "another vigild (pid N) runs this configuration". The stages
 *	end with their vigild, and one started after a vigild was killed
 *	ends the stages that are left before it creates anything, then
 *	keeps the rings that still hold accepted datagrams (vigild_own.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vigild.h"

int
main(int argc, char **argv)
{
	static vigild_t d;
	static stage_opts_t o;
	int check, mfd = -1, lfd, rc;
	pid_t holder;

	log_init("vigild", -1, STAGE_LOG_STDERR);
	check = stage_opts_getopt(STAGE_VIGILD, argc, argv, &o) == STAGE_OPTS_CHECK;
	if (o.v[STAGE_VIGILD_DUMP].u) {
		vigild_conf_dump(stdout);
		return 0;
	}
	d.conf_path = o.v[STAGE_VIGILD_CONFIG].s;
	if (vigild_conf_load(d.conf_path, &d.conf) < 0) {
		log_warnx("%s", stage_errmsg());
		return 1;
	}
	vigild_conf_check_programs(&d.conf);
	if (check) {
		printf("%s: configuration ok (%d stage kinds, %d writers)\n", d.conf_path,
		       d.conf.nstage, d.conf.writers);
		return 0;
	}
	if ((rc = vigild_own_lock(d.conf.shm_prefix, &lfd, &holder)) == -EAGAIN)
		fatalx("another vigild (pid %d) runs this configuration (shm_prefix %s)",
		       (int)holder, d.conf.shm_prefix);
	if (rc < 0)
		fatalx("lock of shm_prefix %s: %s", d.conf.shm_prefix, strerror(-rc));
	if (!o.v[STAGE_VIGILD_FOREGROUND].u && (daemon(0, 1) != 0 || vigild_own_note(lfd) < 0))
		fatal("daemon");
	if (vigild_own_end_previous(&d.conf) < 0)
		fatalx("stages of a previous vigild do not end: not starting beside them");
	if (stage_signals_init(STAGE_SIG_STOP | STAGE_SIG_HUP | STAGE_SIG_USR1 | STAGE_SIG_CHLD,
			       NULL) < 0 ||
	    stage_signals_block() < 0)
		fatalx("%s", stage_errmsg());
	if (vigild_shm_create(&d) < 0) {
		vigild_shm_remove(&d);
		return 1;
	}
	vigild_super_plan(&d);
	if (d.conf.metrics_listen[0] && (mfd = vigild_metrics_listen(d.conf.metrics_listen)) >= 0)
		log_info("metrics on http://%s/metrics", d.conf.metrics_listen);
	log_info("supervising %d stage processes (%d writers)", d.nstage, d.conf.writers);
	vigild_super_run(&d, mfd);
	vigild_stop_graceful(&d);
	if (mfd >= 0)
		close(mfd);
	vigild_shm_remove(&d);
	vigild_own_unlock(d.conf.shm_prefix, lfd);
	log_info("stopped");
	return 0;
}
