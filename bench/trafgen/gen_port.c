/* SPDX-License-Identifier: BSD-3-Clause */
/* gen_port.c - the net_virtio_user port: find, configure, start, wait for link, close. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gen.h"

_Static_assert(RTE_PKTMBUF_HEADROOM == 128, "gen_opts.c sizes pools with a 128-byte headroom");

volatile int gen_stop_requested;

struct rte_mempool *
gen_pool_create(const char *name, const struct gen_pool_plan *plan)
{
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, plan->nb_mbufs, GEN_MBUF_CACHE, 0, plan->data_room_bytes,
				     (int)rte_socket_id());
	if (mp == NULL)
		fprintf(stderr,
			"vhostloop-gen: cannot create mempool %s (%u mbufs of %u bytes): %s; "
			"give the EAL more memory (-m)\n",
			name, plan->nb_mbufs, plan->data_room_bytes, rte_strerror(rte_errno));
	return mp;
}

/* The first ethdev driven by net_virtio_user: ours, or the one the user's --vdev made. */
static int
port_find(uint16_t *port_id)
{
	uint16_t pid;

	RTE_ETH_FOREACH_DEV(pid)
	{
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(pid, &info) != 0 || info.driver_name == NULL)
			continue;
		if (strcmp(info.driver_name, "net_virtio_user") == 0) {
			*port_id = pid;
			return 0;
		}
	}
	return -ENODEV;
}

static int
port_configure(struct gen_port *port, const struct gen_config *cfg)
{
	struct rte_eth_conf conf;
	struct rte_eth_txconf txconf;
	struct rte_eth_dev_info info;
	uint16_t max_frame = gen_config_max_frame_bytes(cfg);
	uint32_t mtu = max_frame - GEN_ETH_HDR_BYTES;
	int ret;

	ret = rte_eth_dev_info_get(port->port_id, &info);
	if (ret != 0)
		return ret;
	if (info.max_rx_queues < cfg->nb_qp || info.max_tx_queues < cfg->nb_qp) {
		fprintf(stderr,
			"vhostloop-gen: the port has %u queue pairs, want %u (queues= of the "
			"vdev)\n",
			RTE_MIN(info.max_rx_queues, info.max_tx_queues), cfg->nb_qp);
		return -EINVAL;
	}
	memset(&conf, 0, sizeof(conf));
	/* The virtio PMD refuses frames above MTU + 14 bytes: raise it for jumbo frames. */
	conf.rxmode.mtu = RTE_MAX(mtu, (uint32_t)RTE_ETHER_MTU);
	if (conf.rxmode.mtu > info.max_mtu) {
		fprintf(stderr, "vhostloop-gen: %u-byte frames need MTU %u, the port allows %u\n",
			max_frame, conf.rxmode.mtu, info.max_mtu);
		return -EINVAL;
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	if (cfg->mrg_rxbuf && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER))
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	/*
	 * Link-state interrupts, only with --server: with server=1, virtio-user notices a backend
	 * that went away and accepts the next one only from its LSC interrupt handler
	 * (virtio_interrupt_handler -> link update -> vhost_user_update_link_state ->
	 * virtio_user_dev_server_reconnect, DPDK 22.11); without it a restarted backend connects
	 * and is never served. As a client the handler buys nothing and costs a crash: when the
	 * backend hangs up (a refused frontend), 22.11's delayed disconnect handler closes the
	 * interrupt fd while the EAL interrupt thread may be re-adding it to its epoll set, which
	 * panics ("Error adding fd N epoll_ctl, Bad file descriptor"; 6 of 40 refusals here).
	 */
	if (cfg->server && info.dev_flags != NULL && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
		conf.intr_conf.lsc = 1;
	ret = rte_eth_dev_configure(port->port_id, cfg->nb_qp, cfg->nb_qp, &conf);
	if (ret != 0)
		return ret;
	/*
	 * The PMD's TX defaults (port offloads are set above), and the TX free threshold (gen.h): 0
	 * keeps the PMD's default. The split-ring virtio PMD frees every used TX descriptor at once
	 * when more than ring size - threshold are used; see README.md, "TX free threshold".
	 */
	txconf = info.default_txconf;
	txconf.tx_free_thresh = cfg->tx_free_thresh;
	for (uint16_t q = 0; q < cfg->nb_qp; q++) {
		/* virtio-user takes the ring size from queue_size=; nb_desc is only a hint. */
		ret = rte_eth_rx_queue_setup(port->port_id, q, cfg->ring_size,
					     (unsigned int)rte_socket_id(), NULL, port->rx_pool);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(port->port_id, q, cfg->ring_size,
					     (unsigned int)rte_socket_id(), &txconf);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
gen_port_open(struct gen_port *port, const struct gen_config *cfg)
{
	struct gen_pool_plan plan;
	int ret;

	memset(port, 0, sizeof(*port));
	if (port_find(&port->port_id) != 0) {
		fprintf(stderr, "vhostloop-gen: no net_virtio_user port: cannot connect to %s\n",
			cfg->socket_path != NULL ? cfg->socket_path : "the vdev's socket");
		return -ENODEV;
	}
	gen_pool_plan_rx(cfg, &plan);
	port->rx_pool = gen_pool_create("gen_rx", &plan);
	if (port->rx_pool == NULL)
		return -ENOMEM;
	ret = port_configure(port, cfg);
	if (ret != 0) {
		fprintf(stderr, "vhostloop-gen: cannot configure port %u: %s\n", port->port_id,
			rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_start(port->port_id);
	if (ret != 0) {
		fprintf(stderr, "vhostloop-gen: cannot start port %u: %s\n", port->port_id,
			rte_strerror(-ret));
		return ret;
	}
	port->started = true;
	return 0;
}

int
gen_port_wait_link(const struct gen_port *port, const struct gen_config *cfg)
{
	uint64_t t0 = rte_get_tsc_cycles();
	struct rte_eth_link link;

	for (;;) {
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(port->port_id, &link) == 0 &&
		    link.link_status == RTE_ETH_LINK_UP)
			return 0;
		if (gen_stop_requested)
			return -EINTR;
		if (gen_elapsed_s(t0) > cfg->connect_timeout_s) {
			fprintf(stderr,
				"vhostloop-gen: link still down after %g s (connect-timeout)\n",
				cfg->connect_timeout_s);
			return -ETIMEDOUT;
		}
		usleep(10 * 1000);
	}
}

void
gen_port_close(struct gen_port *port)
{
	if (port->started) {
		rte_eth_dev_stop(port->port_id);
		rte_eth_dev_close(port->port_id);
		port->started = false;
	}
}

double
gen_elapsed_s(uint64_t t0_tsc)
{
	return (double)(rte_get_tsc_cycles() - t0_tsc) / (double)rte_get_tsc_hz();
}
