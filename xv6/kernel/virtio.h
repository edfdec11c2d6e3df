// virtio over MMIO (version 2, "modern") and the virtio block device, as described by the OASIS
// VIRTIO 1.1 specification.  Section numbers below refer to that document.  Everything the
// device sees is little-endian, which RISC-V is too, so no byte swapping is needed.
#ifndef XV6_VIRTIO_H
#define XV6_VIRTIO_H

// ---- MMIO register window (4.2.2).  All control registers are 32 bits wide. -------------------
#define VIRTIO_MMIO_MAGIC_VALUE         0x000   // reads "virt" = 0x74726976
#define VIRTIO_MMIO_VERSION             0x004   // 2 for the modern interface (1 = legacy)
#define VIRTIO_MMIO_DEVICE_ID           0x008   // 2 = block device, 0 = empty slot
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010   // 32 feature bits, chosen by ..._SEL
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014   // 0: bits 0-31, 1: bits 32-63
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020   // the bits the driver accepts, chosen by ..._SEL
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030   // which virtqueue the QUEUE_* registers mean
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034   // largest queue size the device supports
#define VIRTIO_MMIO_QUEUE_NUM           0x038   // queue size the driver picked
#define VIRTIO_MMIO_QUEUE_READY         0x044   // 1 once the rings are set up
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050   // write a queue index: "new buffers available"
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060   // why the device interrupted (bits below)
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064   // write the bits handled
#define VIRTIO_MMIO_STATUS              0x070   // device status (bits below); write 0 = reset
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080   // physical address of the descriptor table
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090   // physical address of the available ring
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0   // physical address of the used ring
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100   // device-specific configuration space

#define VIRTIO_MAGIC   0x74726976
#define VIRTIO_DEVICE_BLOCK 2

// InterruptStatus bits (4.2.2)
#define VIRTIO_INT_USED_BUFFER   1   // the device put something in a used ring
#define VIRTIO_INT_CONFIG_CHANGE 2   // configuration changed, or the device needs a reset

// ---- device status bits (2.1) -----------------------------------------------------------------
#define VIRTIO_STATUS_ACKNOWLEDGE        1    // the guest noticed the device
#define VIRTIO_STATUS_DRIVER             2    // ... and has a driver for it
#define VIRTIO_STATUS_DRIVER_OK          4    // the driver is ready: the device may run
#define VIRTIO_STATUS_FEATURES_OK        8    // feature negotiation finished
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64   // the device gave up (set by the device)
#define VIRTIO_STATUS_FAILED             128  // the driver gave up

// ---- feature bits -------------------------------------------------------------------------------
#define VIRTIO_F_VERSION_1    32   // modern device (6); the one transport feature we accept
#define VIRTIO_BLK_F_RO        5   // block device is read-only (5.2.3)

// ---- split virtqueue (2.6) ----------------------------------------------------------------------
// A queue is three areas in guest memory: the descriptor table (buffers), the available ring
// (descriptor chains the driver hands to the device) and the used ring (chains the device has
// finished with).  Required alignment: 16, 2 and 4 bytes.

struct virtq_desc {
  uint64 addr;     // physical address of the buffer
  uint32 len;      // its length in bytes
  uint16 flags;    // VIRTQ_DESC_F_*
  uint16 next;     // following descriptor of the chain, if flags has NEXT
};
#define VIRTQ_DESC_F_NEXT  1   // the chain continues at `next`
#define VIRTQ_DESC_F_WRITE 2   // the device writes this buffer (otherwise it reads it)
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1         // avail.flags: no used-buffer interrupt wanted now
                                               // (a hint the device may ignore; spec 2.7.7)

// ---- virtio block requests (5.2.6) --------------------------------------------------------------
// A request is: this header (device reads), the data (device reads for OUT, writes for IN), then
// one status byte (device writes).
struct virtio_blk_req_hdr {
  uint32 type;       // VIRTIO_BLK_T_*
  uint32 reserved;
  uint64 sector;     // in 512-byte sectors, whatever the block size of the file system
};
#define VIRTIO_BLK_T_IN   0    // read from the disk
#define VIRTIO_BLK_T_OUT  1    // write to the disk

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_SECTOR 512
#define VIRTIO_BLK_CFG_CAPACITY 0x00   // u64 in the configuration space: size in sectors

#endif
