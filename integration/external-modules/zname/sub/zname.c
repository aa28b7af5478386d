// SPDX-License-Identifier: GPL-2.0
/* The part named like its module; small enough for ThinLTO to inline into glue.c. */
#include <linux/types.h>

int zname_scale(int x);

int zname_scale(int x)
{
	return x * 3 + 1;
}
