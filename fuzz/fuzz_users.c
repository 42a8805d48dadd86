/*
 * NAME
 *	fuzz_users.c - libFuzzer target for the users file parser and tokens
 *
 * DESCRIPTION
 *	The users file may be edited by hand and a token comes from any
 *	client: neither parser may crash, and every accepted user must
 *	format back to a line that parses to the same user.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[AUTH_KEY_LEN] = {1};
	char name[AUTH_NAME_MAX + 1], *tok, line[4096];
	auth_users_t us, again;
	int i, n;

	if (auth_users_parse((const char *)data, size, &us, NULL) == 0) {
		for (i = 0; i < us.n; i++) {
			if ((n = auth_user_format(&us.u[i], line, sizeof(line))) < 0)
				abort();
			if (auth_users_parse(line, (size_t)n, &again, NULL) != 0 || again.n != 1 ||
			    memcmp(&again.u[0], &us.u[i], sizeof(auth_user_t)))
				abort();
			auth_users_free(&again);
		}
		auth_users_free(&us);
	}
	if ((tok = malloc(size + 1)) != NULL) {
		memcpy(tok, data, size);
		tok[size] = '\0';
		if (auth_token_name(tok, name) == 0) {
			auth_user_t user = {0};
			memcpy(user.name, name, sizeof(user.name));
			(void)auth_token_check(key, tok, &user, 0, UINT64_MAX);
		}
		free(tok);
	}
	return 0;
}
