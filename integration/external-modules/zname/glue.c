// SPDX-License-Identifier: GPL-2.0
/* The composite's other part: calls across parts, which only a bitcode part lets LTO inline. */
#include <linux/module.h>
#include <linux/init.h>

int zname_scale(int x);

static int __init zname_init(void)
{
	return zname_scale(0) == 1 ? 0 : -EINVAL;
}

static void __exit zname_exit(void)
{
}

module_init(zname_init);
module_exit(zname_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a composite module with a part named like itself in a subdirectory");
