// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/sb_relay: the control interface.
 *
 * Each open file remembers the opener's network namespace (entries are
 * made in and looked up in that one) and its ABI state.  HELLO must be the
 * first call; a mismatch (ABI number, count or any struct size) answers
 * -EPROTO and poisons the file, so a stale control binary can never
 * program the module with a layout it misreads.
 *
 * Errors, by ioctl:
 *   any       -EPROTO  no successful HELLO on this file (or it failed)
 *             -ENOTTY  unknown command (sizes are part of the number)
 *             -EFAULT  bad user memory
 *   HELLO     -EPROTO  ABI or sizes differ; -EALREADY  second HELLO
 *   ADD/MOD/DEL/CONNECT  -EPERM  no CAP_NET_ADMIN in the namespace
 *   ADD       -EINVAL  zero local address/port, reserved != 0, unknown
 *                      flags, half a peer; -EADDRNOTAVAIL  local address is
 *                      not local; -EEXIST; -ENOSPC  max_entries; -ENOMEM
 *   MOD       -EINVAL as ADD; -ENOENT
 *   DEL, GET  -EINVAL  zero address/port; -ENOENT
 *   CONNECT   -EINVAL  a == b or zero address; -ENOENT  a or b missing
 *   RING_SETUP  -EPERM as ADD; -EINVAL  slots not a power of two in
 *             2..65536, snaplen not in 1..2048, or more than 64 MiB;
 *             -EBUSY  the namespace has a ring (this file's or another's)
 *   RING_STATS  -ENOENT  this file set up no ring
 *   mmap      -EINVAL  no ring on this file, offset != 0 or longer than it
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "sbk.h"

enum { SBK_FILE_NEW = 0, SBK_FILE_OK = 1, SBK_FILE_REFUSED = 2 };

struct sbk_file {
	struct net *net;  /* counted reference, the opener's namespace */
	atomic_t state;   /* SBK_FILE_* */
	struct sbk_ring *ring; /* the namespace's copy ring, if this file set it up; sbk_lock */
};

static int sbk_open(struct inode *inode, struct file *f)
{
	struct sbk_file *sf = kzalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return -ENOMEM;
	sf->net = get_net(current->nsproxy->net_ns);
	atomic_set(&sf->state, SBK_FILE_NEW);
	f->private_data = sf;
	return 0;
}

static int sbk_release(struct inode *inode, struct file *f)
{
	struct sbk_file *sf = f->private_data;

	/* last reference: no mapping of the ring is left either */
	if (sf->ring)
		sbk_ring_release(sf->net, sf->ring);
	put_net(sf->net);
	kfree(sf);
	return 0;
}

static const u32 sbk_sizes[SB_RELAY_SZ_N] = {
	[SB_RELAY_SZ_HELLO] = sizeof(struct sb_relay_hello),
	[SB_RELAY_SZ_ADDR] = sizeof(struct sb_relay_addr),
	[SB_RELAY_SZ_LEG] = sizeof(struct sb_relay_leg),
	[SB_RELAY_SZ_CONNECT] = sizeof(struct sb_relay_connect),
	[SB_RELAY_SZ_STATS] = sizeof(struct sb_relay_stats),
	[SB_RELAY_SZ_LIST] = sizeof(struct sb_relay_list),
	[SB_RELAY_SZ_INFO] = sizeof(struct sb_relay_info),
	[SB_RELAY_SZ_RING] = sizeof(struct sb_relay_ring),
};

static long sbk_hello(struct sbk_file *sf, void __user *arg)
{
	struct sb_relay_hello h;
	bool ok;
	unsigned int i;

	if (copy_from_user(&h, arg, sizeof(h)))
		return -EFAULT;
	ok = h.abi == SB_RELAY_ABI && h.n_sizes == SB_RELAY_SZ_N;
	for (i = 0; ok && i < SB_RELAY_SZ_N; i++)
		ok = h.sizes[i] == sbk_sizes[i];
	if (!ok) {
		if (atomic_cmpxchg(&sf->state, SBK_FILE_NEW, SBK_FILE_REFUSED) == SBK_FILE_NEW)
			pr_info_ratelimited("sb_relay: ABI mismatch (caller %u, module %u): refused\n",
					    h.abi, SB_RELAY_ABI);
		return -EPROTO;
	}
	switch (atomic_cmpxchg(&sf->state, SBK_FILE_NEW, SBK_FILE_OK)) {
	case SBK_FILE_NEW:
		break;
	case SBK_FILE_OK:
		return -EALREADY;
	default:
		return -EPROTO;
	}
	h.max_entries = sbk_max_entries;
	h.flags_known = SB_RELAY_F_KNOWN;
	return copy_to_user(arg, &h, sizeof(h)) ? -EFAULT : 0;
}

static long sbk_info(struct sbk_file *sf, void __user *arg)
{
	struct sb_relay_info *in = kzalloc(sizeof(*in), GFP_KERNEL);
	long rc = 0;

	if (!in)
		return -ENOMEM;
	in->abi = SB_RELAY_ABI;
	in->max_entries = sbk_max_entries;
	in->n_reasons = SB_RELAY_R_N;
	sbk_reason_sum(in->reason, SB_RELAY_R_N);
	mutex_lock(&sbk_lock);
	in->entries = sbk_entry_count(sf->net);
	mutex_unlock(&sbk_lock);
	if (copy_to_user(arg, in, sizeof(*in)))
		rc = -EFAULT;
	kfree(in);
	return rc;
}

static long sbk_list(struct sbk_file *sf, void __user *arg)
{
	struct sb_relay_list *l = kzalloc(sizeof(*l), GFP_KERNEL); /* 1.7 KiB: not on the stack */
	long rc = 0;

	if (!l)
		return -ENOMEM;
	if (copy_from_user(&l->cursor, arg, sizeof(l->cursor))) {
		rc = -EFAULT;
		goto out_free;
	}
	mutex_lock(&sbk_lock);
	sbk_entry_list(sf->net, l);
	mutex_unlock(&sbk_lock);
	if (copy_to_user(arg, l, sizeof(*l)))
		rc = -EFAULT;
out_free:
	kfree(l);
	return rc;
}

static long sbk_ring_ioctl(struct sbk_file *sf, unsigned int cmd, void __user *arg)
{
	struct sb_relay_ring r;
	long rc = 0;

	if (cmd == SB_RELAY_IOC_RING_SETUP && copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	mutex_lock(&sbk_lock);
	if (cmd == SB_RELAY_IOC_RING_SETUP)
		rc = sf->ring ? -EBUSY : sbk_ring_setup(sf->net, &r, &sf->ring);
	else if (sf->ring)
		sbk_ring_stats(sf->ring, &r);
	else
		rc = -ENOENT;
	mutex_unlock(&sbk_lock);
	if (rc == 0 && copy_to_user(arg, &r, sizeof(r)))
		rc = -EFAULT;
	return rc;
}

static int sbk_mmap(struct file *f, struct vm_area_struct *vma)
{
	struct sbk_file *sf = f->private_data;
	int rc = -EINVAL;

	if (atomic_read(&sf->state) != SBK_FILE_OK)
		return -EPROTO;
	mutex_lock(&sbk_lock);
	if (sf->ring)
		rc = sbk_ring_mmap(sf->ring, vma);
	mutex_unlock(&sbk_lock);
	return rc;
}

static long sbk_ioctl(struct file *f, unsigned int cmd, unsigned long uarg)
{
	struct sbk_file *sf = f->private_data;
	void __user *arg = (void __user *)uarg;
	union {
		struct sb_relay_leg leg;
		struct sb_relay_addr addr;
		struct sb_relay_connect conn;
		struct sb_relay_stats st;
	} u;
	long rc;

	if (cmd == SB_RELAY_IOC_HELLO)
		return sbk_hello(sf, arg);
	if (atomic_read(&sf->state) != SBK_FILE_OK)
		return -EPROTO;

	switch (cmd) {
	case SB_RELAY_IOC_ADD:
	case SB_RELAY_IOC_MOD:
	case SB_RELAY_IOC_DEL:
	case SB_RELAY_IOC_CONNECT:
		if (!ns_capable(sf->net->user_ns, CAP_NET_ADMIN))
			return -EPERM;
		break;
	case SB_RELAY_IOC_GET:
		break;
	case SB_RELAY_IOC_LIST:
		return sbk_list(sf, arg);
	case SB_RELAY_IOC_INFO:
		return sbk_info(sf, arg);
	case SB_RELAY_IOC_RING_SETUP:
		if (!ns_capable(sf->net->user_ns, CAP_NET_ADMIN))
			return -EPERM;
		return sbk_ring_ioctl(sf, cmd, arg);
	case SB_RELAY_IOC_RING_STATS:
		return sbk_ring_ioctl(sf, cmd, arg);
	default:
		return -ENOTTY;
	}
	if (copy_from_user(&u, arg, _IOC_SIZE(cmd)))
		return -EFAULT;

	mutex_lock(&sbk_lock);
	switch (cmd) {
	case SB_RELAY_IOC_ADD:
		rc = sbk_entry_add(sf->net, &u.leg);
		break;
	case SB_RELAY_IOC_MOD:
		rc = sbk_entry_mod(sf->net, &u.leg);
		break;
	case SB_RELAY_IOC_DEL:
		rc = sbk_entry_del(sf->net, &u.addr);
		break;
	case SB_RELAY_IOC_CONNECT:
		rc = sbk_entry_connect(sf->net, &u.conn);
		break;
	default: /* SB_RELAY_IOC_GET */
		rc = sbk_entry_get(sf->net, &u.st);
		break;
	}
	mutex_unlock(&sbk_lock);
	if (rc == 0 && cmd == SB_RELAY_IOC_GET && copy_to_user(arg, &u.st, sizeof(u.st)))
		rc = -EFAULT;
	return rc;
}

static const struct file_operations sbk_fops = {
	.owner = THIS_MODULE,
	.open = sbk_open,
	.release = sbk_release,
	.unlocked_ioctl = sbk_ioctl,
	.mmap = sbk_mmap,
	.compat_ioctl = compat_ptr_ioctl, /* fixed-width ABI: same layout in 32-bit */
	.llseek = noop_llseek,
};

static struct miscdevice sbk_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = SB_RELAY_DEV_NAME,
	.fops = &sbk_fops,
	.mode = 0600,
};

int sbk_dev_init(void)
{
	return misc_register(&sbk_misc);
}

void sbk_dev_exit(void)
{
	misc_deregister(&sbk_misc);
}
