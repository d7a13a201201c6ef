// Writes an initramfs archive (newc, optionally compressed) atomically.
#pragma once

#include "lab/compression.hpp"
#include "lab/cpio_archive.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace kdive::lab {

// The timestamp for archive entries: the given one, else $SOURCE_DATE_EPOCH, else now.
uint32_t archive_mtime(std::optional<uint32_t> fixed);

Result<size_t> write_archive(const std::filesystem::path& out,
                             const std::vector<CpioEntry>& entries, const CpioOptions& options,
                             Compression compression);

} // namespace kdive::lab
