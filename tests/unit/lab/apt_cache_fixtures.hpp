// `apt-cache show --no-all-versions` output captured from deb.debian.org (bookworm, sid).
#pragma once

namespace kdive::lab::fixtures {

// bookworm: linux-image-cloud-amd64, -dbg, and the versioned image and -dbg packages.
inline constexpr const char* kBookwormShow = R"apt(Package: linux-image-cloud-amd64
Source: linux-signed-amd64 (6.1.176+1)
Version: 6.1.176-1
Installed-Size: 13
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Provides: linux-latest-modules-6.1.0-50-cloud-amd64, virtualbox-guest-modules, wireguard-modules (= 1.0.0)
Depends: linux-image-6.1.0-50-cloud-amd64 (= 6.1.176-1)
Description: Linux for x86-64 cloud (meta-package)
Description-md5: 11b016f38b41530eec9d7e80035fed66
Homepage: https://www.kernel.org/
Built-Using: linux (= 6.1.176-1)
Section: kernel
Priority: optional
Filename: pool/main/l/linux-signed-amd64/linux-image-cloud-amd64_6.1.176-1_amd64.deb
Size: 1500
MD5sum: ef6a2fe5529609fd70b86e38dd1914ae
SHA256: 6f32a25a6ee7b58852de01577ba261fda873c3002c736a2148bf0a6593bd93c8

Package: linux-image-cloud-amd64-dbg
Source: linux
Version: 6.1.176-1
Installed-Size: 13
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Provides: linux-latest-image-dbg
Depends: linux-image-6.1.0-50-cloud-amd64-dbg (= 6.1.176-1)
Description: Debugging symbols for Linux cloud-amd64 configuration (meta-package)
Description-md5: 5480348a5b148364715ed73b4b7d00ea
Homepage: https://www.kernel.org/
Section: kernel
Priority: optional
Filename: pool/main/l/linux/linux-image-cloud-amd64-dbg_6.1.176-1_amd64.deb
Size: 1324
MD5sum: 150dd1bd17b8d08950a4d08a983e938a
SHA256: c31eb34c8dd60d2c2bfc3316f993d2cd70b512ef4ffe1182ca4647ebcfc7a9c7

Package: linux-image-6.1.0-50-cloud-amd64
Source: linux-signed-amd64 (6.1.176+1)
Version: 6.1.176-1
Installed-Size: 105110
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Replaces: linux-image-6.1.0-50-cloud-amd64-unsigned
Depends: kmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
Recommends: firmware-linux-free, apparmor
Suggests: linux-doc-6.1, debian-kernel-handbook, grub-pc | grub-efi-amd64 | extlinux
Conflicts: linux-image-6.1.0-50-cloud-amd64-unsigned
Breaks: fwupdate (<< 12-7), initramfs-tools (<< 0.120+deb8u2), wireless-regdb (<< 2019.06.03-1~)
Description: Linux 6.1 for x86-64 cloud (signed)
Description-md5: e242fc20b020c823e8161e99ef4b93ef
Homepage: https://www.kernel.org/
Built-Using: linux (= 6.1.176-1)
Section: kernel
Priority: optional
Filename: pool/main/l/linux-signed-amd64/linux-image-6.1.0-50-cloud-amd64_6.1.176-1_amd64.deb
Size: 26484304
MD5sum: d0914d348e8db7b96904a54dbfa13aaa
SHA256: efe19f605b6f54a8352e68d85a629abb2d30b72a085faef603a9152590baa791

Package: linux-image-6.1.0-50-cloud-amd64-dbg
Source: linux
Version: 6.1.176-1
Installed-Size: 1744508
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Description: Debug symbols for linux-image-6.1.0-50-cloud-amd64
Description-md5: 8f36c86b4350429fd300fafaaa7094f5
Homepage: https://www.kernel.org/
Section: debug
Priority: optional
Filename: pool/main/l/linux/linux-image-6.1.0-50-cloud-amd64-dbg_6.1.176-1_amd64.deb
Size: 281755500
MD5sum: 4d4414307c5e9cf9bf17fda00985731e
SHA256: 4657321b206b13f95d21d23c4644636f14b2acfaeed9375a4b5e200fe1a9c0d9

)apt";

// sid: the 7.x image is split into linux-binary-, linux-modules- and linux-base-<release>.
inline constexpr const char* kSidShow = R"apt(Package: linux-image-cloud-amd64
Source: linux-signed-amd64 (7.2.13+1)
Version: 7.2.13-1
Installed-Size: 16
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Provides: linux-latest-modules-7.2.13+deb14-cloud-amd64, virtualbox-guest-modules, wireguard-modules (= 1.0.0)
Depends: linux-base-cloud-amd64 (= 7.2.13-1), linux-image-7.2.13+deb14-cloud-amd64 (= 7.2.13-1)
Description: Linux for x86-64 cloud (meta-package)
Description-md5: 11b016f38b41530eec9d7e80035fed66
Homepage: https://www.kernel.org/
Section: kernel
Priority: optional
Filename: pool/main/l/linux-signed-amd64/linux-image-cloud-amd64_7.2.13-1_amd64.deb
Size: 1708
MD5sum: c87c032008d8b30f54f4133dfd4eaf96
SHA256: 6f0b2361dee2520fca3bd073a2734bec00241d2cb5779d917edc862051d8f59c

Package: linux-image-cloud-amd64-dbg
Source: linux-signed-amd64 (7.2.13+1)
Version: 7.2.13-1
Installed-Size: 10
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Provides: linux-latest-image-dbg
Depends: linux-base-cloud-amd64 (= 7.2.13-1), linux-image-7.2.13+deb14-cloud-amd64-dbg (= 7.2.13-1)
Description: Linux for x86-64 cloud (debug symbols meta-package)
Description-md5: 51418840ad134508df92772da3f9c445
Homepage: https://www.kernel.org/
Section: kernel
Priority: optional
Filename: pool/main/l/linux-signed-amd64/linux-image-cloud-amd64-dbg_7.2.13-1_amd64.deb
Size: 1196
MD5sum: cf2dcabcaf35203ee0103d8e4426e6d4
SHA256: 8ee1841e9031ed8f171889bc18a9ab0ec5758359b26ecc99f680d6e79f03a535

Package: linux-image-7.2.13+deb14-cloud-amd64
Source: linux-signed-amd64 (7.2.13+1)
Version: 7.2.13-1
Installed-Size: 15
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Depends: dracut | initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool, linux-base-7.2.13+deb14-cloud-amd64 (= 7.2.13-1), linux-binary-7.2.13+deb14-cloud-amd64 (= 7.2.13-1), linux-modules-7.2.13+deb14-cloud-amd64 (= 7.2.13-1)
Pre-Depends: linux-base (>= 4.17~)
Recommends: apparmor
Suggests: debian-kernel-handbook, firmware-linux-free, grub-pc | grub-efi-amd64 | extlinux, linux-doc-7.2
Breaks: fwupdate (<< 12-7), initramfs-tools (<< 0.120+deb8u2), wireless-regdb (<< 2019.06.03-1~)
Description: Linux 7.2.13 for x86-64 cloud
Description-md5: 247921628cfdd898f1b11aec274d2ae7
Homepage: https://www.kernel.org/
Section: kernel
Priority: optional
Filename: pool/main/l/linux-signed-amd64/linux-image-7.2.13+deb14-cloud-amd64_7.2.13-1_amd64.deb
Size: 1916
MD5sum: 08154075fabc6612043d211e04e13815
SHA256: 100ec8efc7e14271719aee6e50424ad2f92c5573723bb33134c391c4f4fe5b7b

Package: linux-image-7.2.13+deb14-cloud-amd64-dbg
Source: linux
Version: 7.2.13-1
Installed-Size: 2008236
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Depends: linux-base-7.2.13+deb14-cloud-amd64 (= 7.2.13-1)
Description: Linux 7.2.13 for x86-64 cloud (debug symbols)
Description-md5: 28cdf95041f41b45471e7eefad383a66
Homepage: https://www.kernel.org/
Section: debug
Priority: optional
Filename: pool/main/l/linux/linux-image-7.2.13+deb14-cloud-amd64-dbg_7.2.13-1_amd64.deb
Size: 353132752
MD5sum: 507a15e136e2d4c1c568367aca267aba
SHA256: ea758e3e52a42cf3b05913edd3075186c6bc943a1162c949fc7e6a437d457ad8

Package: linux-binary-7.2.13+deb14-cloud-amd64
Source: linux-signed-amd64 (7.2.13+1)
Version: 7.2.13-1
Installed-Size: 13712
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Depends: linux-base-7.2.13+deb14-cloud-amd64 (= 7.2.13-1)
Description: Linux 7.2.13 for x86-64 cloud (kernel image)
Description-md5: 4b88d6a54476f7abd66b21cfbbefbbdf
Homepage: https://www.kernel.org/
Built-Using: linux (= 7.2.13-1)
Section: kernel
Priority: optional
Filename: pool/main/l/linux-signed-amd64/linux-binary-7.2.13+deb14-cloud-amd64_7.2.13-1_amd64.deb
Size: 13717736
MD5sum: 1850f417a137d82390931c6e22b93d84
SHA256: 03e41f1c34c16583462f029e81944a85ebcdb78098c258dedfa1cfdd680a27f8

Package: linux-modules-7.2.13+deb14-cloud-amd64
Source: linux
Version: 7.2.13-1
Installed-Size: 23450
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Depends: kmod, linux-base-7.2.13+deb14-cloud-amd64 (= 7.2.13-1)
Description: Linux 7.2.13 for x86-64 cloud (modules)
Description-md5: 1f65d3f441157b3f55ed40818315136a
Homepage: https://www.kernel.org/
Section: kernel
Priority: optional
Filename: pool/main/l/linux/linux-modules-7.2.13+deb14-cloud-amd64_7.2.13-1_amd64.deb
Size: 23451956
MD5sum: ef57b8fe700efbc49c30fb6aeadddb2b
SHA256: 97d79546041e3fdfb44dccff180938894d1bf8eb298f091f88539c1b37080bef

Package: linux-base-7.2.13+deb14-cloud-amd64
Source: linux
Version: 7.2.13-1
Installed-Size: 650
Maintainer: Debian Kernel Team <debian-kernel@lists.debian.org>
Architecture: amd64
Description: Linux 7.2.13 for x86-64 cloud (base files)
Description-md5: 73612a0e2e273485b05dd907db79bafe
Homepage: https://www.kernel.org/
Section: kernel
Priority: optional
Filename: pool/main/l/linux/linux-base-7.2.13+deb14-cloud-amd64_7.2.13-1_amd64.deb
Size: 417436
MD5sum: 3df065fe6db4d38daa077c958f7972aa
SHA256: c41b217e1a4e321f5eff028e965ea25f5da8a74cd3683ca7f4bacedc59e0ecc5

)apt";

} // namespace kdive::lab::fixtures
