#include "wal_write_coalescing_vfs.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace relay::plugins::sqlite {

namespace {

constexpr const char* kName = "relay-wal-coalescing";
constexpr int kFrameHeaderSize = 24;
/// The most the default VFS writes in one call: os_unix.c masks a write's size with
/// 0x1ffff (a larger one is written in several pwrites, one of exactly 128 KiB not at
/// all). Past this, a transaction's frames go in several writes (31 frames of 4 KiB
/// pages in each).
constexpr std::size_t kMaxWrite = 0x1ffff;

/// The frames of a WAL file not yet written, and where they go.
struct PendingFrames {
    std::vector<char> bytes;
    sqlite3_int64 offset = 0;       // of bytes[0] in the file
    sqlite3_int64 next_write = -1;  // just past the last write on the file: the next frame's
    bool page_next = false;         // bytes ends with a frame header: its page comes next
    bool commit_next = false;       // and that header is a commit frame's
};

/// What sqlite holds for a WAL file: this, then the default VFS's own file object at
/// kWrapperSize.
struct WalFile {
    sqlite3_file base;  // first: sqlite's view of the file
    PendingFrames* pending;
};
constexpr std::size_t kWrapperSize = (sizeof(WalFile) + alignof(std::max_align_t) - 1) /
                                     alignof(std::max_align_t) * alignof(std::max_align_t);

WalFile& wal(sqlite3_file* file) {
    return *reinterpret_cast<WalFile*>(file);
}

sqlite3_file* real(sqlite3_file* file) {
    return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kWrapperSize);
}

sqlite3_vfs* inner(sqlite3_vfs* vfs) {
    return static_cast<sqlite3_vfs*>(vfs->pAppData);
}

std::uint32_t big_endian_u32(const void* bytes) {
    const auto* b = static_cast<const unsigned char*>(bytes);
    return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
           std::uint32_t{b[3]};
}

/// Writes what is pending in one pwrite.
int write_pending(sqlite3_file* file) {
    PendingFrames& p = *wal(file).pending;
    if (p.bytes.empty()) return SQLITE_OK;
    sqlite3_file* to = real(file);
    const int rc =
        to->pMethods->xWrite(to, p.bytes.data(), static_cast<int>(p.bytes.size()), p.offset);
    p.bytes.clear();
    // Frames that failed are abandoned: sqlite fails the commit and writes them again.
    if (rc != SQLITE_OK) {
        p.next_write = -1;
        p.page_next = false;
        p.commit_next = false;
    }
    return rc;
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
    PendingFrames& p = *wal(file).pending;
    const auto* bytes = static_cast<const char*>(data);
    const auto size = static_cast<std::size_t>(amount);
    const bool in_order = offset == p.next_write && amount > 0;
    const bool page = in_order && p.page_next;  // of the frame whose header is pending
    const bool header = in_order && !p.page_next && amount == kFrameHeaderSize;
    if (!page && !header) {
        // Anything else keeps its order behind what is pending, and goes through.
        if (const int rc = write_pending(file); rc != SQLITE_OK) return rc;
        p.page_next = false;
        p.commit_next = false;
        sqlite3_file* to = real(file);
        const int rc = to->pMethods->xWrite(to, data, amount, offset);
        p.next_write = rc == SQLITE_OK ? offset + amount : -1;
        return rc;
    }
    const bool commit = page && p.commit_next;
    p.page_next = header;
    // Bytes 4-7 of a frame header: the database's size in pages after the commit, on a
    // commit frame only.
    p.commit_next = header && big_endian_u32(bytes + 4) != 0;
    if (p.bytes.size() + size > kMaxWrite) {
        if (const int rc = write_pending(file); rc != SQLITE_OK) return rc;
    }
    if (p.bytes.empty()) p.offset = offset;
    p.bytes.insert(p.bytes.end(), bytes, bytes + size);
    p.next_write = offset + amount;
    return commit ? write_pending(file) : SQLITE_OK;
}

int x_close(sqlite3_file* file) {
    // Only frames of a transaction that did not commit can be pending; sqlite would
    // have written them, so they are.
    write_pending(file);
    sqlite3_file* to = real(file);
    const int rc = to->pMethods->xClose(to);
    delete wal(file).pending;
    wal(file).pending = nullptr;
    return rc;
}

/// The default VFS's file method `Method`, on the file behind `file`; with `Pending`,
/// after writing what is pending.
template <auto Method, bool Pending = false>
struct ToFile;
template <class R, class... Args, R (*sqlite3_io_methods::*Method)(sqlite3_file*, Args...),
          bool Pending>
struct ToFile<Method, Pending> {
    static R call(sqlite3_file* file, Args... args) {
        if constexpr (Pending) {
            if (const int rc = write_pending(file); rc != SQLITE_OK) return rc;
        }
        sqlite3_file* to = real(file);
        return (to->pMethods->*Method)(to, args...);
    }
};

/// The default VFS's method `Method`.
template <auto Method>
struct ToVfs;
template <class R, class... Args, R (*sqlite3_vfs::*Method)(sqlite3_vfs*, Args...)>
struct ToVfs<Method> {
    static R call(sqlite3_vfs* vfs, Args... args) {
        return (inner(vfs)->*Method)(inner(vfs), args...);
    }
};

/// The WAL file's methods, for a default VFS whose files have methods of `version`.
const sqlite3_io_methods* wal_methods(int version) {
    static const auto make = [](int v) {
        using M = sqlite3_io_methods;
        constexpr bool kPending = true;
        M m{};
        m.iVersion = v;
        m.xClose = x_close;
        m.xWrite = x_write;
        // What reads or changes the file's state sees what is pending in it first.
        m.xRead = ToFile<&M::xRead, kPending>::call;
        m.xTruncate = ToFile<&M::xTruncate, kPending>::call;
        m.xSync = ToFile<&M::xSync, kPending>::call;
        m.xFileSize = ToFile<&M::xFileSize, kPending>::call;
        m.xFileControl = ToFile<&M::xFileControl, kPending>::call;
        m.xLock = ToFile<&M::xLock>::call;
        m.xUnlock = ToFile<&M::xUnlock>::call;
        m.xCheckReservedLock = ToFile<&M::xCheckReservedLock>::call;
        m.xSectorSize = ToFile<&M::xSectorSize>::call;
        m.xDeviceCharacteristics = ToFile<&M::xDeviceCharacteristics>::call;
        if (v >= 2) {
            m.xShmMap = ToFile<&M::xShmMap>::call;
            m.xShmLock = ToFile<&M::xShmLock>::call;
            m.xShmBarrier = ToFile<&M::xShmBarrier>::call;
            m.xShmUnmap = ToFile<&M::xShmUnmap>::call;
        }
        if (v >= 3) {
            m.xFetch = ToFile<&M::xFetch, kPending>::call;
            m.xUnfetch = ToFile<&M::xUnfetch>::call;
        }
        return m;
    };
    static const sqlite3_io_methods v1 = make(1);
    static const sqlite3_io_methods v2 = make(2);
    static const sqlite3_io_methods v3 = make(3);
    return version >= 3 ? &v3 : version == 2 ? &v2 : &v1;
}

int x_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
    sqlite3_vfs* to = inner(vfs);
    if ((flags & SQLITE_OPEN_WAL) == 0) return to->xOpen(to, name, file, flags, out_flags);
    auto* pending = new (std::nothrow) PendingFrames();
    if (pending == nullptr) return SQLITE_NOMEM;
    sqlite3_file* inside = real(file);
    inside->pMethods = nullptr;
    const int rc = to->xOpen(to, name, inside, flags, out_flags);
    if (rc != SQLITE_OK) {
        if (inside->pMethods != nullptr) inside->pMethods->xClose(inside);
        delete pending;
        file->pMethods = nullptr;
        return rc;
    }
    wal(file).pending = pending;
    file->pMethods = wal_methods(inside->pMethods->iVersion);
    return SQLITE_OK;
}

/// The default VFS with x_open in front; every other method is the default's.
sqlite3_vfs make_vfs(sqlite3_vfs* base) {
    sqlite3_vfs v = *base;
    v.szOsFile = static_cast<int>(kWrapperSize) + base->szOsFile;
    v.pNext = nullptr;
    v.zName = kName;
    v.pAppData = base;
    v.xOpen = x_open;
    v.xDelete = ToVfs<&sqlite3_vfs::xDelete>::call;
    v.xAccess = ToVfs<&sqlite3_vfs::xAccess>::call;
    v.xFullPathname = ToVfs<&sqlite3_vfs::xFullPathname>::call;
    v.xDlOpen = ToVfs<&sqlite3_vfs::xDlOpen>::call;
    v.xDlError = ToVfs<&sqlite3_vfs::xDlError>::call;
    v.xDlSym = ToVfs<&sqlite3_vfs::xDlSym>::call;
    v.xDlClose = ToVfs<&sqlite3_vfs::xDlClose>::call;
    v.xRandomness = ToVfs<&sqlite3_vfs::xRandomness>::call;
    v.xSleep = ToVfs<&sqlite3_vfs::xSleep>::call;
    v.xCurrentTime = ToVfs<&sqlite3_vfs::xCurrentTime>::call;
    v.xGetLastError = ToVfs<&sqlite3_vfs::xGetLastError>::call;
    if (base->iVersion >= 2 && base->xCurrentTimeInt64 != nullptr) {
        v.xCurrentTimeInt64 = ToVfs<&sqlite3_vfs::xCurrentTimeInt64>::call;
    }
    // Version 3 adds only system-call overrides, which are for sqlite's own tests.
    v.iVersion = std::min(base->iVersion, 2);
    v.xSetSystemCall = nullptr;
    v.xGetSystemCall = nullptr;
    v.xNextSystemCall = nullptr;
    return v;
}

}  // namespace

const char* wal_write_coalescing_vfs() {
    static const char* const name = []() -> const char* {
        sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
        if (base == nullptr) return nullptr;
        static sqlite3_vfs vfs = make_vfs(base);
        return sqlite3_vfs_register(&vfs, 0) == SQLITE_OK ? kName : nullptr;
    }();
    return name;
}

}  // namespace relay::plugins::sqlite
