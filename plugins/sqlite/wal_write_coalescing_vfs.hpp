#pragma once
/// A sqlite VFS that writes a transaction's WAL frames in one system call.
///
/// sqlite appends each page a commit changed to the write-ahead log as a frame: a
/// 24-byte header, then the page, each written with its own pwrite. A commit of ten
/// chat messages in ten rooms changes about 18 pages, so 36 pwrites; on a VM where a
/// system call costs ~4 µs that was most of the writer thread's CPU (measured at
/// 36,000 deliveries/s: 44 pwrites per commit, the writer at 7 % of a core).
///
/// This VFS wraps the default one. On a WAL file, it keeps the frames that sqlite
/// appends in order, each one contiguous with the last write, in a buffer, and writes
/// the buffer with one pwrite when the commit frame (the one whose header carries the
/// database size) is complete. The commit frame's xWrite returns that pwrite's result,
/// so a failed write fails the commit exactly as it would without this VFS, and when
/// COMMIT returns the frames are in the file (a kill -9 loses nothing the default VFS
/// would have kept). Frames of a transaction are invisible to readers until its commit
/// frame is written and the wal-index published, which sqlite does after that xWrite.
///
/// Every other access to the WAL file (a read, sync, truncate, size query, file
/// control, close) writes the buffer first; a write that is not the next frame in
/// order (the WAL's header after a restart, a page sqlite overwrites in place,
/// rewritten checksums) writes the buffer and then goes through as it is. The
/// database file and everything else go straight to the default VFS.
///
/// Written here because sqlite offers no option for it: its VFS interface is the
/// documented way to change how it does I/O.
namespace relay::plugins::sqlite {

/// The VFS's name, for sqlite3_open_v2. Registered (not as the default) on the first
/// call; thread-safe. Null when registration failed (out of memory): open with the
/// default VFS then.
const char* wal_write_coalescing_vfs();

}  // namespace relay::plugins::sqlite
