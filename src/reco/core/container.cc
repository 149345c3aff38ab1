// Binary container: writer (buffered, atomic via temp file + rename) and mmap reader.
//
// On-disk encoding (all integers little-endian, written byte by byte so the layout does
// not depend on the host's struct packing):
//
//   FileHeader, 64 bytes at offset 0
//     [ 0,  8)  magic "RECOBIN\x1a"
//     [ 8, 12)  container_version  u32
//     [12, 20)  kind               8 chars, NUL padded (a kind of exactly 8 chars has no NUL)
//     [20, 24)  kind_version       u32
//     [24, 28)  n_sections         u32
//     [28, 32)  reserved           u32, zero
//     [32, 40)  table_offset       u64 (64-byte aligned, after the last payload)
//     [40, 48)  file_size          u64 (== table_offset + n_sections * 72)
//     [48, 56)  table_checksum     u64, XXH3-64 of the table bytes
//     [56, 64)  header_checksum    u64, XXH3-64 of bytes [0, 56)
//
//   SectionEntry, 72 bytes each, n_sections of them at table_offset
//     [ 0, 48)  name (<= 47 bytes, NUL padded, always NUL terminated)
//     [48, 56)  offset   u64 (64-byte aligned)
//     [56, 64)  size     u64
//     [64, 72)  checksum u64, XXH3-64 of the payload
#include "reco/core/container.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "reco/core/error.h"

namespace reco {

namespace {

constexpr std::array<char, 8> kMagic = {'R', 'E', 'C', 'O', 'B', 'I', 'N', '\x1a'};
constexpr size_t kHeaderSize = 64;
constexpr size_t kHeaderChecksummed = 56;  // the header checksum covers bytes [0, 56)
constexpr size_t kKindBytes = 8;
constexpr size_t kNameBytes = kMaxSectionName + 1;
constexpr size_t kEntrySize = kNameBytes + 3 * sizeof(uint64_t);
// Header field offsets (see the layout above).
constexpr size_t kOffVersion = 8, kOffKind = 12, kOffKindVersion = 20, kOffNSections = 24,
                 kOffTableOffset = 32, kOffFileSize = 40, kOffTableChecksum = 48,
                 kOffHeaderChecksum = 56;
// Writes smaller than this are gathered in the buffer; larger ones go straight to the file.
constexpr size_t kWriteBuffer = 1 << 20;

void put_u32(std::byte* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
void put_u64(std::byte* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
uint32_t get_u32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

std::string errno_text() { return std::strerror(errno); }

// The kind as stored (up to 8 bytes, NUL padded) -> the string up to the first NUL.
std::string_view stored_kind(const std::byte* p) {
  const char* c = reinterpret_cast<const char*>(p);
  return {c, strnlen(c, kKindBytes)};
}

void validate_kind(std::string_view kind) {
  RECO_CHECK(!kind.empty() && kind.size() <= kKindBytes)
      << "container kind must be 1.." << kKindBytes << " characters, got '" << kind << "'";
  RECO_CHECK(kind.find('\0') == std::string_view::npos) << "container kind contains a NUL byte";
}

}  // namespace

uint64_t checksum64(std::span<const std::byte> bytes) {
  return XXH3_64bits(bytes.data(), bytes.size());
}

// ---------------------------------------------------------------------------------------
// Writer

struct ContainerWriter::Impl {
  std::string path;
  std::string tmp_path;
  std::string kind;
  uint32_t kind_version = 0;
  int fd = -1;
  uint64_t pos = 0;  // bytes written to the file so far (flushed + buffered)
  std::vector<std::byte> buffer;
  std::vector<SectionInfo> sections;
  bool open_section = false;
  bool committed = false;
  XXH3_state_t* hash = nullptr;

  ~Impl() {
    if (hash) XXH3_freeState(hash);
    if (fd >= 0) ::close(fd);
    if (!committed && !tmp_path.empty()) ::unlink(tmp_path.c_str());
  }

  void write_fully(const std::byte* data, size_t n) {
    while (n > 0) {
      ssize_t w = ::write(fd, data, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        RECO_THROW(ErrorCode::kIo) << "cannot write " << tmp_path << ": " << errno_text();
      }
      data += w;
      n -= static_cast<size_t>(w);
    }
  }

  void flush() {
    if (!buffer.empty()) write_fully(buffer.data(), buffer.size());
    buffer.clear();
  }

  void write(const std::byte* data, size_t n) {
    if (n >= kWriteBuffer) {
      flush();
      write_fully(data, n);
    } else {
      if (buffer.size() + n > kWriteBuffer) flush();
      buffer.insert(buffer.end(), data, data + n);
    }
    pos += n;
  }

  void pad_to(uint64_t target) {
    static const std::array<std::byte, kSectionAlignment> zeros{};
    while (pos < target) write(zeros.data(), std::min<uint64_t>(target - pos, zeros.size()));
  }

  void check_writable() const {
    RECO_CHECK(!committed) << path << ": container already committed";
    RECO_CHECK(fd >= 0) << path << ": container writer is not open";
  }

  void start_section(std::string_view name) {
    check_writable();
    RECO_CHECK(!open_section) << path << ": section '" << sections.back().name
                              << "' is still open; call end_section() first";
    RECO_CHECK(!name.empty()) << path << ": section name must not be empty";
    RECO_CHECK(name.size() <= kMaxSectionName)
        << path << ": section name '" << name << "' is " << name.size() << " bytes, max "
        << kMaxSectionName;
    RECO_CHECK(name.find('\0') == std::string_view::npos)
        << path << ": section name contains a NUL byte";
    for (const auto& s : sections) {
      RECO_CHECK(s.name != name) << path << ": duplicate section name '" << name << "'";
    }
    pad_to(align_up(pos, kSectionAlignment));
    SectionInfo info;
    info.name = std::string(name);
    info.offset = pos;
    sections.push_back(std::move(info));
    open_section = true;
    XXH3_64bits_reset(hash);
  }

  void append(std::span<const std::byte> bytes) {
    check_writable();
    RECO_CHECK(open_section) << path << ": append() without begin_section()";
    if (bytes.empty()) return;
    XXH3_64bits_update(hash, bytes.data(), bytes.size());
    write(bytes.data(), bytes.size());
  }

  void finish_section() {
    check_writable();
    RECO_CHECK(open_section) << path << ": end_section() without begin_section()";
    SectionInfo& s = sections.back();
    s.size = pos - s.offset;
    s.checksum = XXH3_64bits_digest(hash);
    open_section = false;
  }
};

ContainerWriter::ContainerWriter(std::string path, std::string_view kind, uint32_t kind_version)
    : impl_(std::make_unique<Impl>()), path_(std::move(path)) {
  validate_kind(kind);
  RECO_CHECK(!path_.empty()) << "container path must not be empty";
  impl_->path = path_;
  impl_->kind = std::string(kind);
  impl_->kind_version = kind_version;
  impl_->hash = XXH3_createState();
  if (!impl_->hash) RECO_THROW(ErrorCode::kResourceExhausted) << "cannot allocate XXH3 state";
  impl_->tmp_path = path_ + ".tmp." + std::to_string(::getpid());
  impl_->fd = ::open(impl_->tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (impl_->fd < 0) {
    std::string why = errno_text();
    impl_->tmp_path.clear();  // nothing to remove
    RECO_THROW(ErrorCode::kIo) << "cannot create " << path_ << ".tmp." << ::getpid()
                               << " (for " << path_ << "): " << why;
  }
  impl_->buffer.reserve(kWriteBuffer);
  // The header is written last (it holds the table position and checksums); reserve it.
  impl_->pad_to(kHeaderSize);
}

ContainerWriter::~ContainerWriter() = default;

void ContainerWriter::add_section(std::string_view name, std::span<const std::byte> payload) {
  impl_->start_section(name);
  impl_->append(payload);
  impl_->finish_section();
}

void ContainerWriter::add_section(std::string_view name, std::string_view payload) {
  add_section(name, std::as_bytes(std::span<const char>(payload.data(), payload.size())));
}

void ContainerWriter::begin_section(std::string_view name) { impl_->start_section(name); }
void ContainerWriter::append(std::span<const std::byte> bytes) { impl_->append(bytes); }
void ContainerWriter::end_section() { impl_->finish_section(); }

void ContainerWriter::commit() {
  Impl& w = *impl_;
  w.check_writable();
  RECO_CHECK(!w.open_section) << path_ << ": section '" << w.sections.back().name
                              << "' is still open at commit()";
  RECO_CHECK(w.sections.size() <= UINT32_MAX) << path_ << ": too many sections";

  // Table.
  w.pad_to(align_up(w.pos, kSectionAlignment));
  const uint64_t table_offset = w.pos;
  std::vector<std::byte> table(w.sections.size() * kEntrySize);
  for (size_t i = 0; i < w.sections.size(); ++i) {
    std::byte* e = table.data() + i * kEntrySize;
    std::memcpy(e, w.sections[i].name.data(), w.sections[i].name.size());
    put_u64(e + kNameBytes, w.sections[i].offset);
    put_u64(e + kNameBytes + 8, w.sections[i].size);
    put_u64(e + kNameBytes + 16, w.sections[i].checksum);
  }
  w.write(table.data(), table.size());
  w.flush();
  const uint64_t file_size = w.pos;

  // Header.
  std::array<std::byte, kHeaderSize> header{};
  std::memcpy(header.data(), kMagic.data(), kMagic.size());
  put_u32(header.data() + kOffVersion, kContainerVersion);
  std::memcpy(header.data() + kOffKind, w.kind.data(), w.kind.size());
  put_u32(header.data() + kOffKindVersion, w.kind_version);
  put_u32(header.data() + kOffNSections, static_cast<uint32_t>(w.sections.size()));
  put_u64(header.data() + kOffTableOffset, table_offset);
  put_u64(header.data() + kOffFileSize, file_size);
  put_u64(header.data() + kOffTableChecksum, checksum64(table));
  put_u64(header.data() + kOffHeaderChecksum,
          checksum64(std::span<const std::byte>(header.data(), kHeaderChecksummed)));
  for (size_t done = 0; done < header.size();) {
    ssize_t n = ::pwrite(w.fd, header.data() + done, header.size() - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      RECO_THROW(ErrorCode::kIo) << "cannot write header of " << w.tmp_path << ": " << errno_text();
    }
    done += static_cast<size_t>(n);
  }

  // Durability: data, then the name, then the directory entry.
  if (::fsync(w.fd) != 0) RECO_THROW(ErrorCode::kIo) << "cannot fsync " << w.tmp_path << ": " << errno_text();
  if (::close(w.fd) != 0) {
    w.fd = -1;
    RECO_THROW(ErrorCode::kIo) << "cannot close " << w.tmp_path << ": " << errno_text();
  }
  w.fd = -1;
  if (::rename(w.tmp_path.c_str(), path_.c_str()) != 0) {
    RECO_THROW(ErrorCode::kIo) << "cannot rename " << w.tmp_path << " to " << path_ << ": "
                               << errno_text();
  }
  w.committed = true;
  std::string dir = std::filesystem::path(path_).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) RECO_THROW(ErrorCode::kIo) << "cannot open directory " << dir << " to fsync " << path_ << ": " << errno_text();
  int rc = ::fsync(dfd);
  std::string why = rc != 0 ? errno_text() : std::string();
  ::close(dfd);
  if (rc != 0) RECO_THROW(ErrorCode::kIo) << "cannot fsync directory " << dir << " after writing " << path_ << ": " << why;
}

// ---------------------------------------------------------------------------------------
// Reader

struct Container::Impl {
  std::string path;
  std::string kind;
  uint32_t kind_version = 0;
  std::vector<SectionInfo> sections;
  const std::byte* base = nullptr;
  size_t size = 0;

  ~Impl() {
    if (base) ::munmap(const_cast<std::byte*>(base), size);
  }
  // Opens, maps and validates; an empty `want_kind` accepts any kind.
  void load(const std::string& path, std::string_view want_kind, uint32_t max_kind_version,
            const ContainerOpenOptions& options);
};

Container::Container() : impl_(std::make_unique<Impl>()) {}
Container::Container(Container&&) noexcept = default;
Container& Container::operator=(Container&&) noexcept = default;
Container::~Container() = default;

void Container::Impl::load(const std::string& path, std::string_view want_kind,
                           uint32_t max_kind_version, const ContainerOpenOptions& options) {
  Impl& c = *this;
  c.path = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo;
    RECO_THROW(code) << "cannot open " << path << ": " << errno_text();
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    std::string why = errno_text();
    ::close(fd);
    RECO_THROW(ErrorCode::kIo) << "cannot stat " << path << ": " << why;
  }
  const uint64_t actual = static_cast<uint64_t>(st.st_size);
  if (actual == 0) {
    ::close(fd);
    RECO_THROW(ErrorCode::kCorrupt) << path << ": not a reco file (the file is empty)";
  }
  if (actual < kHeaderSize) {
    ::close(fd);
    RECO_THROW(ErrorCode::kCorrupt) << path << ": not a reco file (" << actual
                                    << " bytes, shorter than the " << kHeaderSize << "-byte header)";
  }
  void* m = ::mmap(nullptr, actual, PROT_READ, MAP_PRIVATE, fd, 0);
  std::string why = m == MAP_FAILED ? errno_text() : std::string();
  ::close(fd);  // the mapping keeps the file alive
  if (m == MAP_FAILED) RECO_THROW(ErrorCode::kIo) << "cannot mmap " << path << ": " << why;
  c.base = static_cast<const std::byte*>(m);
  c.size = actual;
  const std::byte* h = c.base;

  if (std::memcmp(h, kMagic.data(), kMagic.size()) != 0) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": not a reco file (bad magic)";
  }
  const uint32_t version = get_u32(h + kOffVersion);
  if (version > kContainerVersion) {
    RECO_THROW(ErrorCode::kVersion) << path << ": written by a newer reco: container version "
                                    << version << " > supported " << kContainerVersion;
  }
  const uint64_t stored_hc = get_u64(h + kOffHeaderChecksum);
  if (stored_hc != checksum64(std::span<const std::byte>(h, kHeaderChecksummed))) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": header checksum mismatch (corrupted header)";
  }
  const uint64_t file_size = get_u64(h + kOffFileSize);
  if (file_size != actual) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": truncated: header says " << file_size
                                    << " bytes, file has " << actual;
  }
  const uint32_t n_sections = get_u32(h + kOffNSections);
  const uint64_t table_offset = get_u64(h + kOffTableOffset);
  const uint64_t table_bytes = uint64_t{n_sections} * kEntrySize;
  if (table_offset < kHeaderSize || table_offset > actual || actual - table_offset != table_bytes) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": section table out of bounds (offset "
                                    << table_offset << ", " << n_sections << " entries, file "
                                    << actual << " bytes)";
  }
  const std::byte* table = c.base + table_offset;
  if (get_u64(h + kOffTableChecksum) != checksum64(std::span<const std::byte>(table, table_bytes))) {
    RECO_THROW(ErrorCode::kCorrupt) << path << ": section table checksum mismatch (corrupted table)";
  }
  const std::string_view kind = stored_kind(h + kOffKind);
  if (!want_kind.empty() && kind != want_kind) {
    RECO_THROW(ErrorCode::kInvalidArgument) << path << ": is a " << kind << " file, expected "
                                            << want_kind;
  }
  c.kind = std::string(kind);
  c.kind_version = get_u32(h + kOffKindVersion);
  if (c.kind_version > max_kind_version) {
    RECO_THROW(ErrorCode::kVersion) << path << ": written by a newer reco: " << kind
                                    << " version " << c.kind_version << " > supported "
                                    << max_kind_version;
  }

  c.sections.reserve(n_sections);
  for (uint32_t i = 0; i < n_sections; ++i) {
    const std::byte* e = table + uint64_t{i} * kEntrySize;
    const char* name = reinterpret_cast<const char*>(e);
    const size_t name_len = strnlen(name, kNameBytes);
    if (name_len == kNameBytes || name_len == 0) {
      RECO_THROW(ErrorCode::kCorrupt) << path << ": section " << i << " has an invalid name";
    }
    SectionInfo s;
    s.name.assign(name, name_len);
    s.offset = get_u64(e + kNameBytes);
    s.size = get_u64(e + kNameBytes + 8);
    s.checksum = get_u64(e + kNameBytes + 16);
    if (s.offset < kHeaderSize || s.offset % kSectionAlignment != 0 || s.offset > table_offset ||
        s.size > table_offset - s.offset) {
      RECO_THROW(ErrorCode::kCorrupt) << path << ": section '" << s.name << "' (offset "
                                      << s.offset << ", " << s.size
                                      << " bytes) lies outside the payload area";
    }
    for (const auto& prev : c.sections) {
      if (prev.name == s.name) {
        RECO_THROW(ErrorCode::kCorrupt) << path << ": duplicate section '" << s.name << "'";
      }
    }
    c.sections.push_back(std::move(s));
  }

  if (options.verify_checksums) {
    ::madvise(const_cast<std::byte*>(c.base), c.size, MADV_SEQUENTIAL);
    for (const auto& s : c.sections) {
      if (checksum64(std::span<const std::byte>(c.base + s.offset, s.size)) != s.checksum) {
        RECO_THROW(ErrorCode::kCorrupt) << path << ": checksum mismatch in section '" << s.name
                                        << "' (corrupted data)";
      }
    }
  }
  // Callers mostly jump around inside arrays (ids, embeddings): back to default read-ahead.
  ::madvise(const_cast<std::byte*>(c.base), c.size, MADV_NORMAL);
}

Container Container::open(const std::string& path, std::string_view kind, uint32_t max_kind_version,
                          OpenOptions options) {
  validate_kind(kind);
  Container c;
  c.impl_->load(path, kind, max_kind_version, options);
  return c;
}

Container Container::open_any(const std::string& path, OpenOptions options) {
  Container c;
  c.impl_->load(path, {}, UINT32_MAX, options);
  return c;
}

const std::string& Container::path() const { return impl_->path; }
std::string_view Container::kind() const { return impl_->kind; }
uint32_t Container::kind_version() const { return impl_->kind_version; }
const std::vector<SectionInfo>& Container::sections() const { return impl_->sections; }

bool Container::has(std::string_view name) const {
  for (const auto& s : impl_->sections) {
    if (s.name == name) return true;
  }
  return false;
}

std::span<const std::byte> Container::section(std::string_view name) const {
  for (const auto& s : impl_->sections) {
    if (s.name == name) return {impl_->base + s.offset, s.size};
  }
  RECO_THROW(ErrorCode::kCorrupt) << impl_->path << ": missing section '" << name << "' in this "
                                  << impl_->kind << " file";
}

std::string_view Container::section_string(std::string_view name) const {
  auto bytes = section(name);
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

void Container::check_array_size(std::string_view name, size_t bytes, size_t elem) const {
  if (bytes % elem != 0) {
    RECO_THROW(ErrorCode::kCorrupt) << impl_->path << ": section '" << name << "' has " << bytes
                                    << " bytes, not a multiple of the element size " << elem;
  }
}

}  // namespace reco
