/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * guest_tool - runs inside the test guest (static, next to busybox in the initramfs).
 *
 * It sends sequence-numbered frames through AF_PACKET on every active TX queue of the
 * virtio-net interface (the sender is pinned to one TX queue at a time with XPS), and checks
 * that every frame comes back exactly once, byte for byte, on the RX queue of the same index
 * (the receive sockets form a PACKET_FANOUT_QM group, which demultiplexes on the queue mapping a
 * received frame carries, RX queue + 1: member k + 1 gets what RX queue k received).
 * It also reads the driver's per-queue counters (SIOCETHTOOL, like `ethtool -S`) and the
 * virtio lines of /proc/interrupts, changes the channel count (ETHTOOL_SCHANNELS, like
 * `ethtool -L combined N`) and unbinds/rebinds the virtio_net driver through sysfs.
 *
 * Every command prints one result line for the host to parse:
 *     VLGUEST <case> PASS|FAIL key=value ...
 * Usage: guest_tool loop CASE QUEUES FRAMES
 *        guest_tool channels CASE FRAMES N1,N2,...   (channel count changed with frames in flight;
 *                                                    see gt_park for frames the guest strands)
 *        guest_tool rebind CASE FRAMES
 *        guest_tool lone CASE REPEATS IDLE_MS
 *        guest_tool soak CASE QUEUES SECONDS    (while the host restarts the backend)
 *        guest_tool migrate CASE QUEUES SECONDS (while the host live-migrates the guest)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GT_ETHERTYPE 0x88b5  /* IEEE local experimental: nothing else in the guest uses it */
#define GT_MAGIC 0x564c4754u /* "VLGT" */
#define GT_MAX_QUEUES 16
#define GT_MAX_FRAMES 65536 /* per queue, per run */
#define GT_FRAME_MIN 60
#define GT_FRAME_MAX 1514
#define GT_WINDOW 32	/* frames in flight per queue: well under the 256-entry RX ring */
#define GT_WAIT_MS 3000 /* no progress for this long: the rest are lost (or parked: gt_park) */
#define GT_MAX_STATS 512
#define GT_NB_VEC (2 * GT_MAX_QUEUES) /* MSI-X vectors: RX queues, then TX queues */

struct gt_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t ethertype;
	uint32_t magic;
	uint16_t txq;
	uint16_t len;
	uint32_t seq;
} __attribute__((packed));

struct gt_if {
	char name[IFNAMSIZ];
	int ifindex;
	uint8_t mac[6];
	int ctl_fd; /* AF_INET datagram socket for the ioctls */
};

struct gt_queue {
	uint32_t member_rx; /* frames that arrived on RX queue q, ours or not */
	uint32_t sent;
	uint32_t received;
	uint32_t dup;
	uint32_t corrupt;
	uint32_t wrong_queue;
	uint32_t written_off; /* given up on (soak: sent across a backend outage) */
	/* channels: the guest disabled this queue with frames the device had not taken off its
	 * TX ring (they stay there): not waited for until the queue is enabled again, then they
	 * must come back like any other frame. */
	bool parked;
	uint32_t parks;		/* times parked */
	uint32_t parked_frames; /* frames outstanding when parked, summed */
	uint8_t seen[GT_MAX_FRAMES / 8];
};

struct gt_counters {
	unsigned int nb;
	char names[GT_MAX_STATS][ETH_GSTRING_LEN];
	uint64_t values[GT_MAX_STATS];
};

static struct gt_queue gt_queues[GT_MAX_QUEUES];
static struct gt_counters gt_stats_before, gt_stats_after;

/* ---- small helpers ----------------------------------------------------------------------- */

static uint64_t
gt_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void
gt_sleep_ms(unsigned int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int
gt_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int
gt_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* ---- the interface ------------------------------------------------------------------------ */

/* The one virtio-net interface: the first entry of /sys/class/net that has a device link. */
static int
gt_if_find(struct gt_if *ifc)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	struct ifreq ifr;

	if (d == NULL)
		return -1;
	ifc->name[0] = '\0';
	while ((e = readdir(d)) != NULL) {
		char path[300];

		if (e->d_name[0] == '.' || strlen(e->d_name) >= IFNAMSIZ)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/device", e->d_name);
		if (access(path, F_OK) == 0) {
			snprintf(ifc->name, sizeof(ifc->name), "%s", e->d_name);
			break;
		}
	}
	closedir(d);
	if (ifc->name[0] == '\0')
		return -1;
	ifc->ifindex = (int)if_nametoindex(ifc->name);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	if (ioctl(ifc->ctl_fd, SIOCGIFHWADDR, &ifr) != 0)
		return -1;
	memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, 6);
	return ifc->ifindex > 0 ? 0 : -1;
}

/* Sets the interface up and waits (10 s) until the kernel will transmit on it. */
static int
gt_if_up(struct gt_if *ifc)
{
	char path[300], buf[64];
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	if (ioctl(ifc->ctl_fd, SIOCGIFFLAGS, &ifr) != 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(ifc->ctl_fd, SIOCSIFFLAGS, &ifr) != 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/class/net/%s/operstate", ifc->name);
	for (int i = 0; i < 200; i++) {
		if (gt_read_file(path, buf, sizeof(buf)) == 0 && strncmp(buf, "up", 2) == 0)
			return 0;
		gt_sleep_ms(50);
	}
	return -1;
}

static int
gt_ethtool(struct gt_if *ifc, void *data)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	ifr.ifr_data = data;
	return ioctl(ifc->ctl_fd, SIOCETHTOOL, &ifr) == 0 ? 0 : -errno;
}

/* Current and maximum combined channels; a device without multiqueue has 1 of 1. */
static void
gt_channels_get(struct gt_if *ifc, unsigned int *cur, unsigned int *max)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};

	*cur = 1;
	*max = 1;
	if (gt_ethtool(ifc, &ch) == 0 && ch.max_combined > 0) {
		*cur = ch.combined_count;
		*max = ch.max_combined;
	}
	if (*max > GT_MAX_QUEUES)
		*max = GT_MAX_QUEUES;
	if (*cur > *max)
		*cur = *max;
}

static int
gt_channels_set(struct gt_if *ifc, unsigned int n)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	int rc = gt_ethtool(ifc, &ch);

	if (rc != 0)
		return rc;
	if (ch.combined_count == n)
		return 0;
	ch.cmd = ETHTOOL_SCHANNELS;
	ch.combined_count = n;
	return gt_ethtool(ifc, &ch);
}

/* The driver's statistics, names and values (`ethtool -S`). */
static int
gt_counters_read(struct gt_if *ifc, struct gt_counters *c)
{
	struct {
		struct ethtool_sset_info hdr;
		uint32_t len;
	} info = {.hdr = {.cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS}};
	struct ethtool_gstrings *strs;
	struct ethtool_stats *vals;
	unsigned int nb;
	int rc;

	c->nb = 0;
	rc = gt_ethtool(ifc, &info);
	if (rc != 0 || info.hdr.sset_mask == 0)
		return rc != 0 ? rc : -ENOTSUP;
	nb = info.len;
	if (nb > GT_MAX_STATS)
		nb = GT_MAX_STATS;
	strs = calloc(1, sizeof(*strs) + (size_t)info.len * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + (size_t)info.len * sizeof(uint64_t));
	if (strs == NULL || vals == NULL) {
		free(strs);
		free(vals);
		return -ENOMEM;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_STATS;
	strs->len = info.len;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = info.len;
	rc = gt_ethtool(ifc, strs);
	if (rc == 0)
		rc = gt_ethtool(ifc, vals);
	if (rc == 0) {
		for (unsigned int i = 0; i < nb; i++) {
			memcpy(c->names[i], strs->data + (size_t)i * ETH_GSTRING_LEN,
			       ETH_GSTRING_LEN);
			c->names[i][ETH_GSTRING_LEN - 1] = '\0';
			c->values[i] = vals->data[i];
		}
		c->nb = nb;
	}
	free(strs);
	free(vals);
	return rc;
}

/* Value of the driver's counter "DIR_queue_Q_packets", or -1 when it has none by that name. */
static int64_t
gt_counter(const struct gt_counters *c, const char *dir, unsigned int q)
{
	char name[ETH_GSTRING_LEN];

	snprintf(name, sizeof(name), "%s_queue_%u_packets", dir, q);
	for (unsigned int i = 0; i < c->nb; i++)
		if (strcmp(c->names[i], name) == 0)
			return (int64_t)c->values[i];
	return -1;
}

/*
 * Interrupts of the virtio devices, from /proc/interrupts: TOTAL sums every virtio line (with
 * vectors=0 it is one shared INTx line); VEC[q] the MSI-X vector "virtioN-input.q" (RX queue q),
 * VEC[GT_MAX_QUEUES + q] "virtioN-output.q" (TX queue q), if any.
 */
static void
gt_irqs_read(uint64_t *total, uint64_t vec[GT_NB_VEC])
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024];
	int nb_cpu = 0;

	*total = 0;
	memset(vec, 0, sizeof(uint64_t) * GT_NB_VEC);
	if (f == NULL)
		return;
	if (fgets(line, sizeof(line), f) != NULL)
		for (char *tok = strtok(line, " \t\n"); tok != NULL; tok = strtok(NULL, " \t\n"))
			nb_cpu++;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strchr(line, ':'), *end, *in;
		uint64_t sum = 0;

		if (p == NULL || strstr(line, "virtio") == NULL)
			continue;
		p++;
		for (int c = 0; c < nb_cpu; c++) {
			sum += strtoull(p, &end, 10);
			if (end == p)
				break;
			p = end;
		}
		*total += sum;
		in = strstr(line, "-input.");
		if (in != NULL) {
			unsigned long q = strtoul(in + 7, NULL, 10);

			if (q < GT_MAX_QUEUES)
				vec[q] += sum;
		}
		in = strstr(line, "-output.");
		if (in != NULL) {
			unsigned long q = strtoul(in + 8, NULL, 10);

			if (q < GT_MAX_QUEUES)
				vec[GT_MAX_QUEUES + q] += sum;
		}
	}
	fclose(f);
}

/* Pins the sender to TX queue Q: XPS maps the (only) CPU to Q and to no other active queue. */
static int
gt_xps_pin(struct gt_if *ifc, unsigned int q, unsigned int nb_active)
{
	char path[300];
	int rc = 0;

	if (nb_active <= 1)
		return 0;
	for (unsigned int i = 0; i < nb_active; i++) {
		if (i == q)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/xps_cpus", ifc->name,
			 i);
		rc |= gt_write_file(path, "0");
	}
	/* Every online CPU (the guest has few) sends on Q. */
	long nb_cpu = sysconf(_SC_NPROCESSORS_ONLN);
	char mask[32];

	snprintf(mask, sizeof(mask), "%lx", nb_cpu >= 1 && nb_cpu < 32 ? (1ul << nb_cpu) - 1 : 1ul);
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues/tx-%u/xps_cpus", ifc->name, q);
	rc |= gt_write_file(path, mask);
	return rc;
}

/* ---- frames -------------------------------------------------------------------------------- */

static unsigned int
gt_frame_len(unsigned int txq, uint32_t seq)
{
	return GT_FRAME_MIN + (seq * 97u + txq * 13u) % (GT_FRAME_MAX - GT_FRAME_MIN + 1);
}

static void
gt_frame_build(uint8_t *buf, const uint8_t mac[6], unsigned int txq, uint32_t seq)
{
	struct gt_hdr *h = (struct gt_hdr *)buf;
	unsigned int len = gt_frame_len(txq, seq);

	memcpy(h->dst, mac, 6);
	memcpy(h->src, mac, 6);
	h->ethertype = htons(GT_ETHERTYPE);
	h->magic = htonl(GT_MAGIC);
	h->txq = htons((uint16_t)txq);
	h->len = htons((uint16_t)len);
	h->seq = htonl(seq);
	for (unsigned int i = sizeof(*h); i < len; i++)
		buf[i] = (uint8_t)(seq * 31u + i * 7u + txq);
}

/* ---- the traffic run ------------------------------------------------------------------------ */

struct gt_run {
	struct gt_if *ifc;
	/* One sender socket per TX queue: its unsent/uncompleted bytes (SIOCOUTQ) say whether the
	 * device has taken that queue's frames (the driver frees them, and uncharges the socket,
	 * only once the device returned them on the TX ring). */
	int tx_fd[GT_MAX_QUEUES];
	int rx_fd[GT_MAX_QUEUES + 1];
	unsigned int nb_rx_fd; /* fanout members: the device's maximum queue pairs + 1 */
	unsigned int nb_active;
};

static int
gt_run_open(struct gt_run *run, struct gt_if *ifc)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_ifindex = ifc->ifindex};
	unsigned int cur, max;
	int group = (getpid() & 0xffff) | (PACKET_FANOUT_QM << 16);
	int rcvbuf = 8 << 20;

	memset(gt_queues, 0, sizeof(gt_queues));
	run->ifc = ifc;
	gt_channels_get(ifc, &cur, &max);
	run->nb_active = cur;
	run->nb_rx_fd = max + 1;
	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++)
		run->tx_fd[q] = -1;
	for (unsigned int q = 0; q < max; q++) {
		run->tx_fd[q] = socket(AF_PACKET, SOCK_RAW, 0);
		if (run->tx_fd[q] < 0)
			return -1;
	}
	for (unsigned int q = 0; q < run->nb_rx_fd; q++) {
		int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(GT_ETHERTYPE));

		run->rx_fd[q] = fd;
		if (fd < 0)
			return -1;
		/* Beyond net.core.rmem_max (we are root): frames queued unread must never be
		 * dropped by the socket (the migrate case keeps a window queued). */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		sll.sll_protocol = htons(GT_ETHERTYPE);
		if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
			return -1;
		/*
		 * Joined in order; a frame goes to member (queue mapping % members), and the
		 * driver recorded RX queue q as mapping q + 1: member 0 gets only unrecorded ones.
		 */
		if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &group, sizeof(group)) != 0)
			return -1;
	}
	return 0;
}

static void
gt_run_close(struct gt_run *run)
{
	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++)
		if (run->tx_fd[q] >= 0)
			close(run->tx_fd[q]);
	for (unsigned int q = 0; q < run->nb_rx_fd; q++)
		close(run->rx_fd[q]);
}

static int
gt_send(struct gt_run *run, unsigned int q)
{
	struct gt_queue *gq = &gt_queues[q];
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_ifindex = run->ifc->ifindex, .sll_halen = 6};
	uint8_t buf[GT_FRAME_MAX];
	unsigned int len;

	if (gq->sent >= GT_MAX_FRAMES || q + 1 >= run->nb_rx_fd) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sll.sll_addr, run->ifc->mac, 6);
	gt_frame_build(buf, run->ifc->mac, q, gq->sent);
	len = gt_frame_len(q, gq->sent);
	if (sendto(run->tx_fd[q], buf, len, 0, (struct sockaddr *)&sll, sizeof(sll)) !=
	    (ssize_t)len)
		return -1;
	gq->sent++;
	return 0;
}

/* Checks one received frame against what was sent; MEMBER is the fanout member it came to. */
static void
gt_check(const uint8_t *buf, ssize_t n, unsigned int member, const uint8_t mac[6])
{
	const struct gt_hdr *h = (const struct gt_hdr *)buf;
	uint8_t expect[GT_FRAME_MAX];
	/* member 0: no RX queue recorded, which no frame from the driver may lack */
	unsigned int rxq = member > 0 ? member - 1 : GT_MAX_QUEUES;
	struct gt_queue *gq;
	unsigned int txq;
	uint32_t seq;

	if (rxq < GT_MAX_QUEUES)
		gt_queues[rxq].member_rx++;
	if (n < (ssize_t)sizeof(*h) || ntohl(h->magic) != GT_MAGIC) {
		gt_queues[0].corrupt++;
		return;
	}
	txq = ntohs(h->txq);
	seq = ntohl(h->seq);
	if (txq >= GT_MAX_QUEUES || seq >= gt_queues[txq].sent) {
		gt_queues[0].corrupt++;
		return;
	}
	gq = &gt_queues[txq];
	gt_frame_build(expect, mac, txq, seq);
	if ((size_t)n != gt_frame_len(txq, seq) || memcmp(buf, expect, (size_t)n) != 0) {
		gq->corrupt++;
		return;
	}
	if (gq->seen[seq / 8] & (1u << (seq % 8))) {
		gq->dup++;
		return;
	}
	gq->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	gq->received++;
	if (rxq != txq)
		gq->wrong_queue++;
}

/* Frames sent and not back yet (nor written off), parked queues left out. */
static unsigned int
gt_outstanding(void)
{
	unsigned int n = 0;

	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++) {
		const struct gt_queue *gq = &gt_queues[q];

		if (!gq->parked && gq->sent > gq->received + gq->written_off)
			n += gq->sent - gq->received - gq->written_off;
	}
	return n;
}

/*
 * Receives until at most KEEP frames are outstanding (0) or nothing arrived for WAIT_MS (-1).
 * Reading stops there: frames beyond stay queued in the sockets (with KEEP > 0, the newest).
 */
static int
gt_receive_keep(struct gt_run *run, unsigned int wait_ms, unsigned int keep)
{
	struct pollfd pfd[GT_MAX_QUEUES];
	uint64_t last = gt_now_us();

	for (unsigned int q = 0; q < run->nb_rx_fd; q++)
		pfd[q] = (struct pollfd){.fd = run->rx_fd[q], .events = POLLIN};
	while (gt_outstanding() > keep) {
		int rc = poll(pfd, run->nb_rx_fd, 100);

		if (rc > 0) {
			for (unsigned int q = 0; q < run->nb_rx_fd; q++) {
				uint8_t buf[GT_FRAME_MAX + 64];
				struct sockaddr_ll from;
				socklen_t fl = sizeof(from);
				ssize_t n;

				if (!(pfd[q].revents & POLLIN))
					continue;
				/* keep 0: drain everything (a late duplicate is counted) */
				while ((keep == 0 || gt_outstanding() > keep) &&
				       (n = recvfrom(run->rx_fd[q], buf, sizeof(buf), 0,
						     (struct sockaddr *)&from, &fl)) >= 0) {
					if (from.sll_pkttype != PACKET_OUTGOING)
						gt_check(buf, n, q, run->ifc->mac);
					fl = sizeof(from);
				}
			}
			last = gt_now_us();
		} else if (gt_now_us() - last > (uint64_t)wait_ms * 1000u) {
			return -1;
		}
	}
	return 0;
}

/* Receives until nothing is outstanding (0) or nothing arrived for WAIT_MS (-1). */
static int
gt_receive(struct gt_run *run, unsigned int wait_ms)
{
	return gt_receive_keep(run, wait_ms, 0);
}

/* Bytes the guest still holds for what was sent on TX queue Q (SIOCOUTQ), -1 if unknown. */
static int
gt_tx_held(const struct gt_run *run, unsigned int q)
{
	int n = -1;

	if (q >= GT_MAX_QUEUES || run->tx_fd[q] < 0 || ioctl(run->tx_fd[q], SIOCOUTQ, &n) != 0)
		return -1;
	return n;
}

/*
 * A window stopped making progress (nothing arrived for GT_WAIT_MS). Frames still out on a queue
 * the guest has since disabled (a lower channel count) and that the device never took off that
 * queue's TX ring are the guest's own doing: it shut the queue with them on it, the device had
 * no chance to loop them. Such a queue is parked: its frames stay expected, once the queue is
 * enabled again (the device then resumes the ring where it stopped). Anything else is a loss:
 * frames out on an active queue, or on a disabled queue whose TX ring the device completed (it
 * took them and nothing came back). 0: everything outstanding parked; -1 with ERR saying what.
 */
static int
gt_park(struct gt_run *run, unsigned int window, char *err, size_t errlen)
{
	char lost[256] = "";
	size_t o = 0;

	for (unsigned int q = 0; q + 1 < run->nb_rx_fd; q++) {
		struct gt_queue *gq = &gt_queues[q];
		uint32_t out = gq->sent - gq->received;
		int held;

		if (gq->parked || gq->sent <= gq->received)
			continue;
		held = gt_tx_held(run, q);
		if (q >= run->nb_active && held > 0) {
			gq->parked = true;
			gq->parks++;
			gq->parked_frames += out;
			continue;
		}
		if (o < sizeof(lost))
			o += (size_t)snprintf(lost + o, sizeof(lost) - o, ":q%u_out%u_%s_txheld%d",
					      q, out, q < run->nb_active ? "active" : "disabled",
					      held);
	}
	if (lost[0] == '\0')
		return 0;
	snprintf(err, errlen, "stalled_in_window_%u%s", window, lost);
	return -1;
}

/*
 * Sends FRAMES frames in windows over the active queues, receiving after each window. CHANGES
 * (0-terminated) are channel counts applied one per window, each with that window in flight.
 * Frames the guest strands on a queue it disables are parked (gt_park) and due again once the
 * queue is back; at the end every queue is enabled again if one is still parked, so that every
 * frame sent must have come back.
 */
static int
gt_traffic(struct gt_run *run, unsigned int frames, const unsigned int *changes, char *err,
	   size_t errlen)
{
	unsigned int total = 0, window = 0, change = 0, max = run->nb_rx_fd - 1;
	bool parked = false;

	while (total < frames) {
		for (unsigned int q = 0; q < run->nb_active && total < frames; q++) {
			if (gt_xps_pin(run->ifc, q, run->nb_active) != 0) {
				snprintf(err, errlen, "xps_pin_q%u", q);
				return -1;
			}
			for (unsigned int i = 0; i < GT_WINDOW && total < frames; i++, total++)
				if (gt_send(run, q) != 0) {
					snprintf(err, errlen, "send_q%u_errno%d", q, errno);
					return -1;
				}
		}
		if (changes != NULL && changes[change] != 0) {
			int rc = gt_channels_set(run->ifc, changes[change]);

			if (rc != 0) {
				snprintf(err, errlen, "schannels_%u_rc%d", changes[change], rc);
				return -1;
			}
			run->nb_active = changes[change++];
		}
		/* Enabled again: what was parked there is due in this window. */
		for (unsigned int q = 0; q < run->nb_active && q < GT_MAX_QUEUES; q++)
			gt_queues[q].parked = false;
		/* Fail fast: a window that does not come back will not be followed by more. */
		if (gt_receive(run, GT_WAIT_MS) != 0 && gt_park(run, window, err, errlen) != 0)
			return -1;
		window++;
	}
	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++)
		if (gt_queues[q].parked)
			parked = true;
	if (!parked)
		return 0;
	/* A queue still parked: enable them all, its frames must come back now. */
	if (gt_channels_set(run->ifc, max) != 0) {
		snprintf(err, errlen, "schannels_%u_at_end", max);
		return -1;
	}
	run->nb_active = max;
	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++)
		gt_queues[q].parked = false;
	if (gt_receive(run, GT_WAIT_MS) != 0) {
		gt_park(run, window, err, errlen); /* every queue is active: says what is lost */
		return -1;
	}
	return 0;
}

/* Prints the result line of a traffic run and returns 0 when everything came back right. */
static int
gt_report(const char *name, struct gt_run *run, const char *err, uint64_t us, uint64_t irqs,
	  const uint64_t irq_vec[GT_NB_VEC], bool strict_counters)
{
	char detail[2048];
	size_t o = 0;
	uint32_t sent = 0, recv = 0, bad = 0, parked = 0;
	uint64_t vec_rx = 0, vec_tx = 0;
	bool ok = err[0] == '\0';

#define GT_ADD(...)                                                                         \
	do {                                                                                \
		if (o < sizeof(detail))                                                     \
			o += (size_t)snprintf(detail + o, sizeof(detail) - o, __VA_ARGS__); \
	} while (0)

	detail[0] = '\0';
	for (unsigned int q = 0; q + 1 < run->nb_rx_fd; q++) {
		const struct gt_queue *gq = &gt_queues[q];
		int64_t tx0 = gt_counter(&gt_stats_before, "tx", q);
		int64_t tx1 = gt_counter(&gt_stats_after, "tx", q);
		int64_t rx0 = gt_counter(&gt_stats_before, "rx", q);
		int64_t rx1 = gt_counter(&gt_stats_after, "rx", q);

		sent += gq->sent;
		recv += gq->received;
		bad += gq->dup + gq->corrupt + gq->wrong_queue;
		GT_ADD(" q%u=%u/%u,rxq%u", q, gq->received, gq->sent, gq->member_rx);
		if (gq->dup + gq->corrupt + gq->wrong_queue > 0)
			GT_ADD(",dup%u,corrupt%u,wrongq%u", gq->dup, gq->corrupt, gq->wrong_queue);
		if (gq->parks > 0)
			GT_ADD(",parked%u_times%u", gq->parked_frames, gq->parks);
		parked += gq->parked_frames;
		if (tx0 < 0 || rx0 < 0 || tx1 < 0 || rx1 < 0) {
			/* The driver lists only its active queues. */
			if (gq->sent + gq->member_rx > 0) {
				GT_ADD(",no_driver_counters");
				ok = false;
			}
			continue;
		}
		GT_ADD(",drv_tx%" PRId64 ",drv_rx%" PRId64, tx1 - tx0, rx1 - rx0);
		if (irq_vec != NULL && irq_vec[q] > 0)
			GT_ADD(",irq_in%" PRIu64, irq_vec[q]);
		if (irq_vec != NULL && irq_vec[GT_MAX_QUEUES + q] > 0)
			GT_ADD(",irq_out%" PRIu64, irq_vec[GT_MAX_QUEUES + q]);
		/* The driver counted what we sent and what we got, on the same queue. */
		if (tx1 - tx0 < gq->sent || rx1 - rx0 < gq->received)
			ok = false;
		if (strict_counters && (tx1 - tx0 != gq->sent || rx1 - rx0 != gq->received))
			ok = false;
	}
	if (recv != sent || bad > 0 || sent == 0)
		ok = false;
	/* MSI-X: the RX and TX queues' own vectors, per frame sent (0 with one shared INTx line).
	 */
	for (unsigned int q = 0; irq_vec != NULL && q < GT_MAX_QUEUES; q++) {
		vec_rx += irq_vec[q];
		vec_tx += irq_vec[GT_MAX_QUEUES + q];
	}
	if (parked > 0)
		GT_ADD(" parked=%u", parked);
	printf("VLGUEST %s %s frames=%u received=%u bad=%u ms=%" PRIu64 " irqs=%" PRIu64
	       " irq_per_frame=%.3f rx_irq_per_frame=%.3f tx_irq_per_frame=%.3f%s%s%s\n",
	       name, ok ? "PASS" : "FAIL", sent, recv, bad, us / 1000, irqs,
	       sent > 0 ? (double)irqs / sent : 0.0, sent > 0 ? (double)vec_rx / sent : 0.0,
	       sent > 0 ? (double)vec_tx / sent : 0.0, detail, err[0] ? " error=" : "", err);
	fflush(stdout);
	return ok ? 0 : 1;
#undef GT_ADD
}

/* One traffic run on the interface as it is now, with CHANGES applied on the way. */
static int
gt_run_case(const char *name, struct gt_if *ifc, unsigned int queues, unsigned int frames,
	    const unsigned int *changes)
{
	uint64_t irq0, irq1, in0[GT_NB_VEC], in1[GT_NB_VEC], t0;
	struct gt_run run;
	char err[512] = "";
	int rc;

	if (queues > 0 && gt_channels_set(ifc, queues) != 0) {
		printf("VLGUEST %s FAIL error=schannels_%u\n", name, queues);
		return 1;
	}
	if (gt_run_open(&run, ifc) != 0) {
		printf("VLGUEST %s FAIL error=sockets_errno%d\n", name, errno);
		return 1;
	}
	if (queues > 0 && run.nb_active != queues) {
		printf("VLGUEST %s FAIL error=channels_%u_not_%u\n", name, run.nb_active, queues);
		gt_run_close(&run);
		return 1;
	}
	if (gt_counters_read(ifc, &gt_stats_before) != 0)
		snprintf(err, sizeof(err), "ethtool_stats");
	gt_irqs_read(&irq0, in0);
	t0 = gt_now_us();
	if (err[0] == '\0')
		gt_traffic(&run, frames, changes, err, sizeof(err));
	t0 = gt_now_us() - t0;
	gt_irqs_read(&irq1, in1);
	for (unsigned int v = 0; v < GT_NB_VEC; v++)
		in1[v] -= in0[v];
	gt_counters_read(ifc, &gt_stats_after);
	rc = gt_report(name, &run, err, t0, irq1 - irq0, in1, changes == NULL);
	gt_run_close(&run);
	return rc;
}

/* ---- commands -------------------------------------------------------------------------------- */

static int
gt_cmd_rebind(const char *name, struct gt_if *ifc, unsigned int frames)
{
	char link[300], target[300], *dev;
	ssize_t n;
	int rc;

	snprintf(link, sizeof(link), "/sys/class/net/%s/device", ifc->name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0) {
		printf("VLGUEST %s FAIL error=no_device_link\n", name);
		return 1;
	}
	target[n] = '\0';
	dev = strrchr(target, '/');
	dev = dev != NULL ? dev + 1 : target;
	rc = gt_write_file("/sys/bus/virtio/drivers/virtio_net/unbind", dev);
	if (rc == 0) {
		gt_sleep_ms(500);
		rc = gt_write_file("/sys/bus/virtio/drivers/virtio_net/bind", dev);
	}
	if (rc != 0 || gt_if_find(ifc) != 0 || gt_if_up(ifc) != 0) {
		printf("VLGUEST %s FAIL error=rebind_%s_rc%d\n", name, dev, rc);
		return 1;
	}
	/* The rebound driver starts with min(vCPUs, max) pairs: loop there, then on all of them. */
	rc = gt_run_case(name, ifc, 0, frames, NULL);
	if (rc == 0) {
		unsigned int cur, max;
		char name2[128];

		gt_channels_get(ifc, &cur, &max);
		snprintf(name2, sizeof(name2), "%s-max", name);
		rc = gt_run_case(name2, ifc, max, frames, NULL);
	}
	return rc;
}

/*
 * Traffic for SECONDS while the host restarts the backend under the guest: windows paced
 * 50 ms apart; a window that does not come back within 2 s (or whose frames the stack
 * refuses while the link is down) is an outage, its frames written off. Passes when nothing
 * came back corrupted, duplicated or on the wrong queue and the loop resumed after the last
 * outage (the final windows came back whole).
 */
static int
gt_cmd_soak(const char *name, struct gt_if *ifc, unsigned int queues, unsigned int seconds)
{
	uint64_t end, outage_start = 0, worst_outage = 0;
	unsigned int outages = 0, windows = 0, refused = 0, clean_after = 0;
	uint32_t sent = 0, recv = 0, bad = 0;
	uint64_t drv_tx = 0;
	struct gt_run run;
	bool ok;

	if (gt_channels_set(ifc, queues) != 0 || gt_run_open(&run, ifc) != 0) {
		printf("VLGUEST %s FAIL error=setup\n", name);
		return 1;
	}
	gt_counters_read(ifc, &gt_stats_before);
	printf("VLGUEST soak-start\n");
	end = gt_now_us() + (uint64_t)seconds * 1000000u;
	while (gt_now_us() < end) {
		bool lost = false;

		for (unsigned int q = 0; q < run.nb_active; q++) {
			gt_xps_pin(ifc, q, run.nb_active);
			for (unsigned int i = 0; i < GT_WINDOW; i++) {
				if (gt_queues[q].sent >= GT_MAX_FRAMES)
					break;
				if (gt_send(&run, q) != 0) {
					refused++; /* link down: the stack drops it, not sent */
					lost = true;
					break;
				}
			}
		}
		if (gt_receive(&run, 2000) != 0)
			lost = true;
		windows++;
		if (lost) {
			for (unsigned int q = 0; q < GT_MAX_QUEUES; q++)
				gt_queues[q].written_off =
					gt_queues[q].sent - gt_queues[q].received;
			if (outage_start == 0) {
				outage_start = gt_now_us();
				outages++;
			}
			clean_after = 0;
		} else {
			if (outage_start != 0 && gt_now_us() - outage_start > worst_outage)
				worst_outage = gt_now_us() - outage_start;
			outage_start = 0;
			clean_after++;
		}
		gt_sleep_ms(50);
	}
	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++) {
		sent += gt_queues[q].sent;
		recv += gt_queues[q].received;
		bad += gt_queues[q].dup + gt_queues[q].corrupt + gt_queues[q].wrong_queue;
	}
	/* Frames the driver never got were dropped by the guest's stack while the link was down. */
	gt_counters_read(ifc, &gt_stats_after);
	for (unsigned int q = 0; q < run.nb_active; q++) {
		int64_t tx0 = gt_counter(&gt_stats_before, "tx", q);
		int64_t tx1 = gt_counter(&gt_stats_after, "tx", q);

		drv_tx += tx0 >= 0 && tx1 >= tx0 ? (uint64_t)(tx1 - tx0) : 0;
	}
	ok = bad == 0 && clean_after >= 3 && recv > 0;
	printf("VLGUEST %s %s frames=%u received=%u lost=%u lost_before_driver=%" PRId64
	       " bad=%u windows=%u outages=%u worst_outage_ms=%" PRIu64
	       " refused=%u clean_windows_at_end=%u\n",
	       name, ok ? "PASS" : "FAIL", sent, recv, sent - recv, (int64_t)sent - (int64_t)drv_tx,
	       bad, windows, outages, worst_outage / 1000, refused, clean_after);
	gt_run_close(&run);
	return ok ? 0 : 1;
}

/*
 * Traffic for SECONDS while the host live-migrates the guest to another QEMU (another vhost-user
 * socket of the engine): windows of GT_MIG_WINDOW frames per queue back to back, two in flight:
 * after sending window k the tool reads window k - 1 and leaves window k queued in its sockets,
 * so that at any moment the guest holds frames whose bytes are in RX buffers the engine wrote
 * and the guest has not read (a queue's sequence numbers start again once it has used
 * GT_MAX_FRAMES and everything came back). The guest is paused for the switch and its rings move
 * with it, so nothing may be lost, corrupted, duplicated or come back on another queue: every
 * window must come back whole, the one spanning the switch too (it may take longer: up to
 * GT_MIG_WAIT_MS without progress). Prints the windows' count and the slowest one (the switch).
 */
#define GT_MIG_WINDOW 96
#define GT_MIG_WAIT_MS 20000
static int
gt_cmd_migrate(const char *name, struct gt_if *ifc, unsigned int queues, unsigned int seconds)
{
	uint64_t end, worst = 0, irq0, irq1, in[GT_NB_VEC];
	uint64_t sent[GT_MAX_QUEUES] = {0}, recv[GT_MAX_QUEUES] = {0}, bad[GT_MAX_QUEUES] = {0};
	uint64_t sent_all = 0, recv_all = 0, bad_all = 0;
	unsigned int windows = 0;
	char err[64] = "";
	struct gt_run run;
	bool ok;

	if (gt_channels_set(ifc, queues) != 0 || gt_run_open(&run, ifc) != 0 ||
	    run.nb_active != queues) {
		printf("VLGUEST %s FAIL error=setup\n", name);
		return 1;
	}
	gt_irqs_read(&irq0, in);
	printf("VLGUEST migrate-start\n");
	end = gt_now_us() + (uint64_t)seconds * 1000000u;
	while (gt_now_us() < end && err[0] == '\0') {
		uint64_t t0 = gt_now_us();

		for (unsigned int q = 0; q < run.nb_active && err[0] == '\0'; q++) {
			struct gt_queue *gq = &gt_queues[q];

			if (gq->sent + GT_MIG_WINDOW > GT_MAX_FRAMES) {
				/* Start the sequence numbers again once everything came back. */
				if (gt_receive(&run, GT_MIG_WAIT_MS) != 0) {
					snprintf(err, sizeof(err), "window_%u_lost_%u", windows,
						 gt_outstanding());
					break;
				}
				sent[q] += gq->sent;
				recv[q] += gq->received;
				bad[q] += gq->dup + gq->corrupt + gq->wrong_queue;
				memset(gq, 0, sizeof(*gq));
			}
			gt_xps_pin(ifc, q, run.nb_active);
			for (unsigned int i = 0; i < GT_MIG_WINDOW; i++)
				if (gt_send(&run, q) != 0) {
					snprintf(err, sizeof(err), "send_q%u_errno%d", q, errno);
					break;
				}
		}
		/* The previous window, not this one: its frames stay queued in the sockets, their
		 * bytes still in the RX buffers the engine wrote (a broken dirty log leaves them
		 * stale on the destination when the guest is stopped with them unread). */
		if (err[0] == '\0' &&
		    gt_receive_keep(&run, GT_MIG_WAIT_MS, GT_MIG_WINDOW * run.nb_active) != 0)
			snprintf(err, sizeof(err), "window_%u_lost_%u", windows, gt_outstanding());
		t0 = gt_now_us() - t0;
		if (t0 > worst)
			worst = t0;
		windows++;
	}
	if (err[0] == '\0' && gt_receive(&run, GT_MIG_WAIT_MS) != 0)
		snprintf(err, sizeof(err), "last_window_lost_%u", gt_outstanding());
	gt_irqs_read(&irq1, in);
	for (unsigned int q = 0; q < GT_MAX_QUEUES; q++) {
		sent[q] += gt_queues[q].sent;
		recv[q] += gt_queues[q].received;
		bad[q] += gt_queues[q].dup + gt_queues[q].corrupt + gt_queues[q].wrong_queue;
		/* member 0 (frames without a recorded RX queue) and unparsable frames land here */
		sent_all += sent[q];
		recv_all += recv[q];
		bad_all += bad[q];
	}
	ok = err[0] == '\0' && bad_all == 0 && recv_all == sent_all && recv_all > 0;
	printf("VLGUEST %s %s frames=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
	       " bad=%" PRIu64,
	       name, ok ? "PASS" : "FAIL", sent_all, recv_all, sent_all - recv_all, bad_all);
	for (unsigned int q = 0; q < run.nb_active; q++)
		printf(" q%u=%" PRIu64 "/%" PRIu64 ",bad%" PRIu64, q, recv[q], sent[q], bad[q]);
	printf(" windows=%u worst_window_ms=%" PRIu64 " irqs=%" PRIu64 "%s%s\n", windows,
	       worst / 1000, irq1 - irq0, err[0] ? " error=" : "", err);
	gt_run_close(&run);
	return ok ? 0 : 1;
}

/* Lone frames after idle periods: each must come back on its own, without more traffic. */
static int
gt_cmd_lone(const char *name, struct gt_if *ifc, unsigned int repeats, unsigned int idle_ms)
{
	uint64_t worst = 0, irq0, irq1, in[GT_NB_VEC];
	struct gt_run run;
	char err[64] = "";

	if (gt_run_open(&run, ifc) != 0) {
		printf("VLGUEST %s FAIL error=sockets\n", name);
		return 1;
	}
	gt_xps_pin(ifc, 0, run.nb_active);
	gt_irqs_read(&irq0, in);
	for (unsigned int i = 0; i < repeats && err[0] == '\0'; i++) {
		uint64_t t0;

		gt_sleep_ms(idle_ms);
		t0 = gt_now_us();
		if (gt_send(&run, 0) != 0) {
			snprintf(err, sizeof(err), "send");
			break;
		}
		gt_receive(&run, 2000);
		t0 = gt_now_us() - t0;
		if (t0 > worst)
			worst = t0;
		if (gt_outstanding() > 0)
			snprintf(err, sizeof(err), "lone_frame_%u_stalled", i);
	}
	gt_irqs_read(&irq1, in);
	printf("VLGUEST %s %s frames=%u received=%u worst_rtt_us=%" PRIu64 " irqs=%" PRIu64
	       "%s%s\n",
	       name, err[0] == '\0' ? "PASS" : "FAIL", gt_queues[0].sent, gt_queues[0].received,
	       worst, irq1 - irq0, err[0] ? " error=" : "", err);
	gt_run_close(&run);
	return err[0] == '\0' ? 0 : 1;
}

static unsigned int
gt_arg_uint(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v > 1000000) {
		fprintf(stderr, "guest_tool: bad number '%s'\n", s);
		exit(2);
	}
	return (unsigned int)v;
}

int
main(int argc, char **argv)
{
	struct gt_if ifc;
	const char *cmd, *name;

	if (argc < 4) {
		fprintf(stderr, "usage: guest_tool loop|channels|rebind|lone CASE ARGS...\n");
		return 2;
	}
	cmd = argv[1];
	name = argv[2];
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&ifc, 0, sizeof(ifc));
	ifc.ctl_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ifc.ctl_fd < 0 || gt_if_find(&ifc) != 0 || gt_if_up(&ifc) != 0) {
		printf("VLGUEST %s FAIL error=no_interface_up\n", name);
		return 1;
	}
	if (strcmp(cmd, "loop") == 0 && argc == 5)
		return gt_run_case(name, &ifc, gt_arg_uint(argv[3]), gt_arg_uint(argv[4]), NULL);
	if (strcmp(cmd, "channels") == 0 && argc == 5) {
		unsigned int changes[64] = {0}, n = 0;

		for (char *tok = strtok(argv[4], ","); tok != NULL && n < 63;
		     tok = strtok(NULL, ","))
			changes[n++] = gt_arg_uint(tok);
		return gt_run_case(name, &ifc, 0, gt_arg_uint(argv[3]), changes);
	}
	if (strcmp(cmd, "rebind") == 0 && argc == 4)
		return gt_cmd_rebind(name, &ifc, gt_arg_uint(argv[3]));
	if (strcmp(cmd, "soak") == 0 && argc == 5)
		return gt_cmd_soak(name, &ifc, gt_arg_uint(argv[3]), gt_arg_uint(argv[4]));
	if (strcmp(cmd, "migrate") == 0 && argc == 5)
		return gt_cmd_migrate(name, &ifc, gt_arg_uint(argv[3]), gt_arg_uint(argv[4]));
	if (strcmp(cmd, "lone") == 0 && argc == 5)
		return gt_cmd_lone(name, &ifc, gt_arg_uint(argv[3]), gt_arg_uint(argv[4]));
	fprintf(stderr, "guest_tool: bad command line\n");
	return 2;
}
