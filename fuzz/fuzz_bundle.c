/*
 * NAME
 *	fuzz_bundle.c - libFuzzer target for the evidence bundle's text files
 *
 * DESCRIPTION
 *	Arbitrary bytes, split into lines, go through the parsers vigil-verify
 *	applies to manifest.txt and secrets.txt (proto_manifest_parse,
 *	proto_secret_parse). A path that is accepted must be relative and
 *	free of "..".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *line, *save = NULL;
	uint8_t sha[32], w[1024];
	char rel[600];
	uint32_t date, session;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (proto_manifest_parse(line, sha, rel, sizeof(rel)) == 0 &&
		    (rel[0] == '/' || strstr(rel, "..")))
			abort();
		(void)proto_secret_parse(line, &date, &session, w, sizeof(w));
	}
	free(buf);
	return 0;
}
