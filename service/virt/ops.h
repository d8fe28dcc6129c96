/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Worker functions of the members whose libvirt calls fit no shape. Each
 * reads its arguments and writes its results as the row's signatures say,
 * and returns -1 when libvirt failed (its error is recorded for it). */

#include "work.h"

/* org.libvirt.Connect */
int op_connect_baseline_cpu(Work *w);
int op_connect_compare_cpu(Work *w);
int op_connect_create_xml(Work *w);
int op_connect_create_xml_with_files(Work *w);
int op_connect_define_xml(Work *w);
int op_connect_lookup_by_id(Work *w);
int op_connect_lookup_by_name(Work *w);
int op_connect_lookup_by_uuid(Work *w);
int op_connect_restore_resolve(Work *w);
int op_connect_restore(Work *w);
int op_connect_save_image_resolve(Work *w);
int op_connect_save_image_get_xml(Work *w);
int op_connect_save_image_define(Work *w);
int op_connect_all_domain_stats(Work *w);
int op_connect_get_capabilities(Work *w);
int op_connect_get_cpu_model_names(Work *w);
int op_connect_get_domain_capabilities(Work *w);
int op_connect_list_domains(Work *w);
int op_connect_node_cpu_map(Work *w);
int op_connect_node_cpu_stats(Work *w);
int op_connect_node_free_memory(Work *w);
int op_connect_node_memory_params(Work *w);
int op_connect_node_memory_stats(Work *w);
int op_connect_node_security_model(Work *w);
int op_connect_node_set_memory_params(Work *w);

int op_connect_find_pool_sources(Work *w);
int op_connect_interface_define_xml(Work *w);
int op_connect_interface_lookup_by_mac(Work *w);
int op_connect_interface_lookup_by_name(Work *w);
int op_connect_list_interfaces(Work *w);
int op_connect_list_networks(Work *w);
int op_connect_list_nodedevs(Work *w);
int op_connect_list_nwfilters(Work *w);
int op_connect_list_pools(Work *w);
int op_connect_list_secrets(Work *w);
int op_connect_network_create_xml(Work *w);
int op_connect_network_define_xml(Work *w);
int op_connect_network_lookup_by_name(Work *w);
int op_connect_network_lookup_by_uuid(Work *w);
int op_connect_nodedev_create_xml(Work *w);
int op_connect_nodedev_lookup_by_name(Work *w);
int op_connect_nodedev_lookup_scsi_host(Work *w);
int op_connect_nwfilter_define_xml(Work *w);
int op_connect_nwfilter_lookup_by_name(Work *w);
int op_connect_nwfilter_lookup_by_uuid(Work *w);
int op_connect_pool_create_xml(Work *w);
int op_connect_pool_define_xml(Work *w);
int op_connect_pool_lookup_by_name(Work *w);
int op_connect_pool_lookup_by_uuid(Work *w);
int op_connect_secret_define_xml(Work *w);
int op_connect_secret_lookup_by_usage(Work *w);
int op_connect_secret_lookup_by_uuid(Work *w);
int op_connect_vol_lookup_by_key(Work *w);
int op_connect_vol_lookup_by_path(Work *w);

/* org.libvirt.Domain */
int op_domain_create_with_files(Work *w);
int op_domain_get_control_info(Work *w);
int op_domain_get_job_info(Work *w);
int op_domain_get_job_stats(Work *w);
int op_domain_get_metadata(Work *w);
int op_domain_get_state(Work *w);
int op_domain_get_stats(Work *w);
int op_domain_get_time(Work *w);
int op_domain_get_vcpu_pin_info(Work *w);
int op_domain_list_snapshots(Work *w);
int op_domain_memory_stats(Work *w);
int op_domain_pin_vcpu(Work *w);
int op_domain_rename(Work *w);
int op_domain_save(Work *w);
int op_domain_send_key(Work *w);
int op_domain_set_autostart(Work *w);
int op_domain_set_memory(Work *w);
int op_domain_set_metadata(Work *w);
int op_domain_snapshot_create(Work *w);
int op_domain_snapshot_current(Work *w);
int op_domain_snapshot_lookup(Work *w);
/* block jobs */
int op_domain_block_commit(Work *w);
int op_domain_block_copy(Work *w);
int op_domain_block_job_set_speed(Work *w);
int op_domain_block_pull(Work *w);
int op_domain_block_rebase(Work *w);
int op_domain_block_resize(Work *w);
int op_domain_get_block_job_info(Work *w);
int op_domain_block_peek(Work *w);
int op_domain_memory_peek(Work *w);
/* tuning */
int op_domain_get_scheduler_params(Work *w);
int op_domain_get_perf_events(Work *w);
int op_domain_set_memory_stats_period(Work *w);
/* the guest agent */
int op_domain_fs_freeze(Work *w);
int op_domain_fs_thaw(Work *w);
int op_domain_fs_trim(Work *w);
int op_domain_get_fs_info(Work *w);
int op_domain_get_guest_vcpus(Work *w);
int op_domain_set_guest_vcpus(Work *w);
int op_domain_set_user_password(Work *w);
int op_domain_set_time(Work *w);
int op_domain_interface_addresses(Work *w);
/* migration */
int op_domain_migrate_to_uri3(Work *w);
int op_domain_migrate_get_max_speed(Work *w);
int op_domain_migrate_set_max_speed(Work *w);
/* the rest */
int op_domain_core_dump(Work *w);
int op_domain_open_graphics_fd(Work *w);
int op_domain_pin_emulator(Work *w);
int op_domain_pin_iothread(Work *w);
int op_domain_get_emulator_pin_info(Work *w);
int op_domain_get_iothread_info(Work *w);
int op_domain_get_security_labels(Work *w);
int op_domain_get_disk_errors(Work *w);
int op_domain_send_process_signal(Work *w);

/* org.libvirt.DomainSnapshot */
int op_snapshot_get_parent(Work *w);
int op_snapshot_list_children(Work *w);

/* Domain.UndefineWithStorage (ops-removal.c). Its own flag, above
 * libvirt's undefine flags, which it passes on: only say what would be
 * removed. */
#define VIRTBUS_UNDEFINE_STORAGE_DRY_RUN (1u << 31)
/* No wipe: the volumes are only deleted. */
#define WIPE_NONE (-2)
/* A virStorageVolWipeAlgorithm by virsh's name for it, WIPE_NONE for "",
 * -1 for an unknown one. */
int wipe_algorithm_from_name(const char *name);
int op_domain_undefine_storage_resolve(Work *w);
bool op_domain_undefine_storage_probe(Work *w);
int op_domain_undefine_with_storage(Work *w);

/* Which calls are long ones (ROW_JOB rows that are only sometimes). */
bool op_domain_create_probe(Work *w);
bool op_domain_snapshot_create_probe(Work *w);
bool op_snapshot_revert_probe(Work *w);

/* org.libvirt.Job */
int op_job_cancel(Work *w);

/* org.libvirt.Network */
int op_network_get_dhcp_leases(Work *w);
int op_network_set_autostart(Work *w);
int op_network_update(Work *w);

/* org.libvirt.StoragePool and org.libvirt.StorageVol */
int op_pool_build(Work *w);
int op_pool_delete(Work *w);
int op_pool_get_info(Work *w);
int op_pool_list_volumes(Work *w);
int op_pool_set_autostart(Work *w);
int op_pool_vol_create_xml(Work *w);
int op_pool_vol_create_xml_from(Work *w);
int op_pool_vol_lookup_by_name(Work *w);
int op_vol_get_info(Work *w);
int op_vol_resize(Work *w);
int op_vol_wipe(Work *w);

/* org.libvirt.Secret */
int op_secret_get_value(Work *w);
int op_secret_set_value(Work *w);

/* org.libvirt.NodeDevice */
int op_nodedev_detach(Work *w);
int op_nodedev_list_caps(Work *w);

/* Shared by the ops: the object path of snapshot @name of the target. */
char *work_snapshot_path(Work *w, const char *name);
