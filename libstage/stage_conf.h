/*
 * NAME
 *	stage_conf.h - read vigil.conf: lines, comments, blocks
 *
 * DESCRIPTION
 *	The file's grammar, and only that; what the keys mean is the
 *	caller's (vigild_conf.c, with the tables of stage_opt.h):
 *
 *		# a comment, to the end of the line
 *		key = value
 *		stage NAME = PROGRAM ARGUMENTS	(the older form of a block)
 *		NAME {
 *			key = value
 *		}
 *
 *	Blocks do not nest. A line holds no NUL byte and at most
 *	STAGE_CONF_LINE bytes. Spaces around keys and values are dropped.
 */
#ifndef VIGIL_STAGE_CONF_H
#define VIGIL_STAGE_CONF_H

#define STAGE_CONF_LINE 2048

/*
 * Called for each "key = value" (block: the enclosing block's name, or
 * NULL outside any), and once with key and value NULL where a block
 * opens. The strings live until the call returns. A negative return
 * stops the reading; the message the callback left in stage_errmsg()
 * is then prefixed with "FILE:LINE: ".
 */
typedef int (*stage_conf_fn)(void *arg, const char *block, const char *key, const char *value);

/*
 * Read the file at path, calling fn(arg, ...) per line. Returns 0, or
 * -errno with stage_errmsg() naming the file and line: a file that
 * cannot be opened, a directory, a NUL byte, an over-long line, a line
 * that is none of the forms above, a block left open.
 */
int stage_conf_read(const char *path, stage_conf_fn fn, void *arg);

#endif
