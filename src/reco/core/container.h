// The binary container: the one file layout behind every artifact reco writes
// (datasets, models, indexes, graphs, bundles). Layout (little-endian):
//
//   [0, 64)          FileHeader
//   [64, ...)        section payloads, each starting at a 64-byte aligned offset
//                    (so float/uint32 arrays can be used straight from the mmap)
//   [table_offset)   section table: n_sections × SectionEntry
//
// FileHeader: magic "RECOBIN\x1a", container_version, kind (8 chars, e.g. "dataset"),
// kind_version (the artifact's own format version), n_sections, table_offset,
// file_size, table checksum (XXH3-64 of the table) and header checksum (XXH3-64 of the
// first 56 bytes). SectionEntry: name (up to 47 bytes, NUL padded), offset, size,
// XXH3-64 checksum of the payload.
//
// Writes are atomic: ContainerWriter streams into "<path>.tmp.<pid>", fsyncs, renames
// over <path>, and fsyncs the directory; a crash leaves either the old file or the new.
// Readers reject, each with a message naming the file: wrong magic or a file shorter than
// the header (kCorrupt, "not a reco file"), a newer container or kind version (kVersion),
// a bad header checksum, a size different from the header's (truncation), a table or a
// section beyond the end, a bad table checksum, a bad section checksum (all kCorrupt), and
// another kind (kInvalidArgument: the caller passed the wrong file). A missing file is
// kNotFound. The byte-level layout of header and table is documented in container.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace reco {

inline constexpr uint32_t kContainerVersion = 1;
inline constexpr size_t kSectionAlignment = 64;
inline constexpr size_t kMaxSectionName = 47;

struct SectionInfo {
  std::string name;
  uint64_t offset = 0;    ///< byte offset of the payload in the file
  uint64_t size = 0;      ///< payload bytes
  uint64_t checksum = 0;  ///< XXH3-64 of the payload
};

/// Streams sections into a temporary file; commit() makes it visible atomically.
/// If the writer is destroyed without commit() the temporary file is removed.
class ContainerWriter {
 public:
  ContainerWriter(std::string path, std::string_view kind, uint32_t kind_version);
  ~ContainerWriter();
  ContainerWriter(const ContainerWriter&) = delete;
  ContainerWriter& operator=(const ContainerWriter&) = delete;

  /// Write a whole section at once.
  void add_section(std::string_view name, std::span<const std::byte> payload);
  void add_section(std::string_view name, std::string_view payload);
  template <typename T>
  void add_array(std::string_view name, std::span<const T> values) {
    add_section(name, std::as_bytes(values));
  }

  /// Or stream one section in pieces: begin, append..., end. One open section at a time.
  void begin_section(std::string_view name);
  void append(std::span<const std::byte> bytes);
  void end_section();

  /// Writes the table and header, fsyncs, renames into place. Throws ErrorCode::kIo on failure.
  void commit();

  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

struct ContainerOpenOptions {
  bool verify_checksums = true;  ///< hash every section payload at open (XXH3: ~10 GB/s)
};

/// A read-only, memory-mapped container. Sections are views into the mapping and live as
/// long as the Container. Thread-safe for concurrent readers.
class Container {
 public:
  using OpenOptions = ContainerOpenOptions;
  /// Opens and validates `path`. `kind` must match the header; a kind_version greater than
  /// `max_kind_version` is rejected with ErrorCode::kVersion.
  static Container open(const std::string& path, std::string_view kind, uint32_t max_kind_version,
                        OpenOptions options);
  static Container open(const std::string& path, std::string_view kind, uint32_t max_kind_version) {
    return open(path, kind, max_kind_version, OpenOptions{});
  }
  /// Opens any kind (for `reco inspect`).
  static Container open_any(const std::string& path, OpenOptions options = {});

  Container(Container&&) noexcept;
  Container& operator=(Container&&) noexcept;
  ~Container();

  const std::string& path() const;
  std::string_view kind() const;
  uint32_t kind_version() const;
  const std::vector<SectionInfo>& sections() const;
  bool has(std::string_view name) const;
  /// Throws ErrorCode::kCorrupt naming the file and section when absent.
  std::span<const std::byte> section(std::string_view name) const;
  std::string_view section_string(std::string_view name) const;
  template <typename T>
  std::span<const T> array(std::string_view name) const {
    auto bytes = section(name);
    check_array_size(name, bytes.size(), sizeof(T));
    return {reinterpret_cast<const T*>(bytes.data()), bytes.size() / sizeof(T)};
  }

 private:
  Container();
  void check_array_size(std::string_view name, size_t bytes, size_t elem) const;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// XXH3-64 of a buffer (the checksum used throughout).
uint64_t checksum64(std::span<const std::byte> bytes);

}  // namespace reco
