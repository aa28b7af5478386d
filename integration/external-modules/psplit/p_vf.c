// SPDX-License-Identifier: GPL-2.0
/* The part of p-vf named like it: calls into the other part, which only
 * bitcode parts let LTO inline. */
#include <linux/module.h>
#include <linux/init.h>

int p_vf_scale(int x);

static int __init p_vf_init(void)
{
	return p_vf_scale(0) == 1 ? 0 : -EINVAL;
}

static void __exit p_vf_exit(void)
{
}

module_init(p_vf_init);
module_exit(p_vf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("a composite with a part named like it in its own directory");
