// crash's memory vocabulary against the guest's own view: kmem -s (/proc/slabinfo), kmem -i
// (/proc/meminfo), kmem ADDR and kmem -p, vmalloc (/proc/vmallocinfo), search, files
// (/proc/PID/fd) and vm (/proc/PID/maps).
#include "attached_guest.hpp"

namespace kdive::testing {
namespace {

// kmem -s holds what /proc/slabinfo printed: every cache by name with its geometry; counts move
// between the guest's print and the stop, so they are held to the total and to task_struct.
TEST_F(KernelAwareness, KmemSlabsMatchProcSlabinfo) {
    const auto& proc = guest_->facts.slabs;
    ASSERT_GT(proc.size(), 50u) << "the guest printed no /proc/slabinfo";
    auto caches = guest_->json("kmem -s --json");
    ASSERT_TRUE(caches.is_array());
    std::map<std::string, Json> by_name;
    for (const auto& cache : caches) {
        by_name[cache["name"].get<std::string>()] = cache;
        EXPECT_LE(cache["active_objects"].get<std::uint64_t>(),
                  cache["objects"].get<std::uint64_t>())
            << cache;
        EXPECT_TRUE(cache["address"].get<std::string>().starts_with("0xff")) << cache;
    }
    std::uint64_t proc_total = 0;
    std::uint64_t kdive_total = 0;
    for (const auto& slab : proc) {
        auto found = by_name.find(slab.name);
        ASSERT_NE(found, by_name.end()) << slab.name << " is in /proc/slabinfo only";
        const Json& cache = found->second;
        // slabinfo's objsize is the stride (kmem_cache.size); object_size is what was asked for.
        EXPECT_EQ(cache["size"], slab.object_size) << slab.name;
        EXPECT_LE(cache["object_size"].get<std::uint64_t>(), slab.object_size) << slab.name;
        EXPECT_EQ(cache["objects_per_slab"], slab.objects_per_slab) << slab.name;
        EXPECT_EQ(cache["pages_per_slab"], slab.pages_per_slab) << slab.name;
        proc_total += slab.objects;
        kdive_total += cache["objects"].get<std::uint64_t>();
    }
    EXPECT_EQ(caches.size(), proc.size());
    EXPECT_NEAR(static_cast<double>(kdive_total), static_cast<double>(proc_total),
                0.1 * static_cast<double>(proc_total));
    // Every task has its task_struct.
    ASSERT_TRUE(by_name.contains("task_struct"));
    EXPECT_GE(by_name["task_struct"]["active_objects"].get<std::size_t>(),
              guest_->json("ps --json").size());
    // One cache by name, in crash's columns, and the lx-* spelling.
    const std::string text = guest_->run("kmem -s task_struct");
    EXPECT_NE(text.find("OBJSIZE"), std::string::npos) << text;
    EXPECT_NE(text.find("task_struct"), std::string::npos) << text;
    EXPECT_EQ(guest_->json("lx-slabinfo --json").size(), caches.size());
    auto unknown = guest_->attempt("kmem -s no-such-cache");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("no-such-cache"), std::string::npos);
}

// kmem -i counts what /proc/meminfo printed: the total exactly, the rest within what a guest
// that has gone on booting for a moment changes.
TEST_F(KernelAwareness, KmemTotalsMatchProcMeminfo) {
    const auto& proc = guest_->facts.meminfo_kib;
    ASSERT_TRUE(proc.contains("MemTotal") && proc.contains("PageTables")) << "no /proc/meminfo";
    auto mem = guest_->json("kmem -i --json");
    ASSERT_TRUE(mem.is_object());
    const auto kib = [&](const char* key) { return mem[key].get<std::uint64_t>() / 1024; };
    const double total = static_cast<double>(proc.at("MemTotal"));
    EXPECT_EQ(kib("total"), proc.at("MemTotal"));
    for (auto [key, name] : {std::pair{"free", "MemFree"},
                             {"available", "MemAvailable"},
                             {"cached", "Cached"},
                             {"buffers", "Buffers"},
                             {"slab", "Slab"}}) {
        EXPECT_NEAR(static_cast<double>(kib(key)), static_cast<double>(proc.at(name)), 0.03 * total)
            << key;
    }
    EXPECT_NEAR(static_cast<double>(kib("slab")), static_cast<double>(proc.at("Slab")),
                0.2 * static_cast<double>(proc.at("Slab")));
    EXPECT_NEAR(static_cast<double>(kib("page_tables")), static_cast<double>(proc.at("PageTables")),
                std::max(256.0, 0.5 * static_cast<double>(proc.at("PageTables"))));
    std::uint64_t managed = 0;
    for (const auto& zone : mem["zones"]) {
        managed += zone["managed"].get<std::uint64_t>();
        EXPECT_LE(zone["free"].get<std::uint64_t>(), zone["managed"].get<std::uint64_t>()) << zone;
    }
    EXPECT_EQ(managed / 1024, proc.at("MemTotal")) << "the zones' managed pages are MemTotal";
    EXPECT_NE(guest_->run("kmem -i").find("TOTAL MEM"), std::string::npos);
}

// kmem ADDR names what each of a few known addresses is: pid 1's task_struct (a task_struct
// slab object, allocated, at comm's offset), a struct file of `files` (filp), pid 1's stack,
// module text where lsmod puts it, init_task in the image, CPU 1's runqueues; and in a slab
// the kernel is not filling (not frozen on a CPU), the objects kdive finds allocated number
// the slab's own inuse count.
TEST_F(KernelAwareness, KmemNamesWhatAnAddressIs) {
    const auto hex = [](const Json& text) {
        return std::stoull(text.get<std::string>(), nullptr, 16);
    };
    const std::string init = guest_->json("ps --json")[1]["task"].get<std::string>();
    ASSERT_EQ(guest_->json("ps --json")[1]["pid"], 1);
    auto comm = guest_->json("kmem &$lx_task_by_pid(1)->comm --json");
    EXPECT_EQ(comm["kind"], "slab") << comm;
    EXPECT_EQ(comm["cache_name"], "task_struct") << comm;
    EXPECT_EQ(comm["object"], init) << comm;
    EXPECT_EQ(comm["object_offset"].get<std::uint64_t>(), hex(comm["address"]) - hex(Json(init)));
    EXPECT_GT(comm["object_offset"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(comm["allocated"], true) << comm;
    ASSERT_TRUE(comm.contains("page")) << comm;
    EXPECT_EQ(comm["page"]["slab"], true) << comm;

    // The slab's head page says slab, by flag (before 6.10) or by page type.
    auto head = guest_->json(fmt::format("kmem -p {} --json", comm["slab"].get<std::string>()));
    const auto& names = head["flag_names"];
    EXPECT_TRUE(std::ranges::find(names, "slab") != names.end() || head["type"] == "slab") << head;
    EXPECT_EQ(head["page"], comm["slab"]);

    ASSERT_FALSE(guest_->facts.files.empty());
    const int sleeper = guest_->facts.files.begin()->first;
    auto files = guest_->json(fmt::format("files {} --json", sleeper));
    ASSERT_FALSE(files.empty());
    auto file = guest_->json(fmt::format("kmem {} --json", files[0]["file"].get<std::string>()));
    EXPECT_EQ(file["kind"], "slab") << file;
    EXPECT_EQ(file["cache_name"], "filp") << file;
    EXPECT_EQ(file["object"], files[0]["file"]) << file;
    EXPECT_EQ(file["allocated"], true) << file;

    const std::string stack_text = guest_->run("p $lx_task_by_pid(1)->stack");
    const auto at = stack_text.find("0x");
    ASSERT_NE(at, std::string::npos) << stack_text;
    const std::uint64_t stack = std::stoull(stack_text.substr(at), nullptr, 16);
    auto in_stack = guest_->json(fmt::format("kmem {:#x} --json", stack + 0x100));
    EXPECT_EQ(in_stack["kind"], "stack") << in_stack;
    EXPECT_EQ(in_stack["pid"], 1) << in_stack;
    EXPECT_EQ(in_stack["stack_base"], fmt::format("{:#x}", stack)) << in_stack;
    EXPECT_EQ(in_stack["depth"].get<std::uint64_t>(),
              in_stack["stack_size"].get<std::uint64_t>() - 0x100);

    auto modules = guest_->json("lsmod --json");
    ASSERT_FALSE(modules.empty());
    auto module = guest_->json(fmt::format("kmem {:#x} --json", hex(modules[0]["base"]) + 0x10));
    EXPECT_EQ(module["kind"], "module") << module;
    EXPECT_EQ(module["module"], modules[0]["name"]) << module;
    EXPECT_TRUE(module["region"] == "text" || module["region"] == "core") << module;
    EXPECT_TRUE(module["section"].get<std::string>().starts_with(".text")) << module;

    auto image = guest_->json("kmem init_task --json");
    EXPECT_EQ(image["kind"], "image") << image;
    EXPECT_EQ(image["symbol"], "init_task") << image;
    EXPECT_EQ(image["offset"], 0) << image;

    auto runqueue = guest_->json("kmem $lx_per_cpu(runqueues, 1) --json");
    EXPECT_EQ(runqueue["kind"], "percpu") << runqueue;
    EXPECT_EQ(runqueue["cpu"], 1) << runqueue;
    EXPECT_EQ(runqueue["symbol"], "runqueues") << runqueue;

    EXPECT_EQ(guest_->json("kmem 0x1000 --json")["kind"], "user");
    const std::string text = guest_->run(fmt::format("kmem {}", init.substr(2)));
    EXPECT_NE(text.find("task_struct"), std::string::npos) << text;
    EXPECT_NE(text.find("ALLOCATED"), std::string::npos) << text;

    // A slab not frozen on a CPU: the freelist walk's allocated objects are the slab's inuse.
    const bool slab_struct = guest_->attempt("p sizeof(struct slab)").has_value();
    int checked = 0;
    std::set<std::string> slabs_seen;
    for (const auto& task : guest_->json("ps --json")) {
        if (checked > 0 || task["pid"] == 0) {
            continue;
        }
        auto object = guest_->json(fmt::format("kmem {} --json", task["task"].get<std::string>()));
        if (object["kind"] != "slab" ||
            !slabs_seen.insert(object["slab"].get<std::string>()).second) {
            continue;
        }
        const std::string slab = object["slab"].get<std::string>();
        const std::string type = slab_struct ? "struct slab" : "struct page";
        const auto member = [&](std::string_view name) {
            const std::string out = guest_->run(fmt::format("p (({} *){})->{}", type, slab, name));
            return std::stoull(out.substr(out.find('=') + 1));
        };
        // 7.0 dropped per-CPU slabs, and with them the frozen bit.
        if (guest_->attempt(fmt::format("p (({} *){})->frozen", type, slab)) &&
            member("frozen") != 0) {
            continue;
        }
        const std::uint64_t first =
            hex(object["object"]) -
            object["index"].get<std::uint64_t>() * object["object_size"].get<std::uint64_t>();
        std::uint64_t allocated = 0;
        for (std::uint64_t i = 0; i < object["objects"].get<std::uint64_t>(); ++i) {
            auto each = guest_->json(fmt::format(
                "kmem {:#x} --json", first + i * object["object_size"].get<std::uint64_t>()));
            EXPECT_EQ(each["slab"], object["slab"]) << each;
            allocated += each["allocated"] == true ? 1 : 0;
        }
        EXPECT_EQ(allocated, member("inuse")) << "slab " << slab;
        EXPECT_EQ(object["objects"].get<std::uint64_t>(), member("objects"));
        ++checked;
    }
    EXPECT_EQ(checked, 1) << "no task_struct slab was off the CPUs";
}

// vmalloc lists the busy areas /proc/vmallocinfo listed: nearly all of them (a stack of a task
// that exited since may be gone), each with the same range, size and caller.
TEST_F(KernelAwareness, VmallocMatchesProcVmallocinfo) {
    const auto& proc = guest_->facts.vmalloc;
    ASSERT_GT(proc.size(), 20u) << "the guest printed no /proc/vmallocinfo";
    std::map<std::string, Json> by_start;
    for (const auto& area : guest_->json("vmalloc --json")) {
        by_start[area["start"].get<std::string>()] = area;
    }
    std::size_t compared = 0;
    std::size_t found = 0;
    for (const auto& line : proc) {
        std::istringstream fields(line);
        std::string range, caller;
        std::uint64_t size = 0;
        fields >> range >> size >> caller;
        // vmallocinfo also lists the freed areas waiting for a lazy purge ("unpurged vm_area").
        if (caller == "vm_map_ram" || caller == "unpurged" ||
            range.find('-') == std::string::npos) {
            continue;
        }
        ++compared;
        const std::string start = range.substr(0, range.find('-'));
        auto area = by_start.find(start);
        if (area == by_start.end()) {
            std::cout << "not in vmalloc's answer (freed since?): " << line << "\n";
            continue;
        }
        ++found;
        EXPECT_EQ(area->second["end"], range.substr(range.find('-') + 1)) << line;
        EXPECT_EQ(area->second["size"], size) << line;
        const std::string mine = area->second["caller"].get<std::string>();
        EXPECT_EQ(mine.substr(0, mine.find('+')), caller) << line;
    }
    ASSERT_GT(compared, 20u);
    EXPECT_GE(found * 10, compared * 9) << found << " of " << compared << " areas found";
    const std::string text = guest_->run("vmalloc");
    EXPECT_NE(text.find(" vmalloc"), std::string::npos) << text;
    EXPECT_EQ(guest_->json("kmem -v --json"), guest_->json("vmalloc --json")); // crash's name
}

// search finds what the guest put in memory: a marker string it assembled at run time (so the
// script's text does not hold it) and wrote to a tmpfs file, in kernel memory and in physical
// RAM at the same places; the pointer to pid 1 that init_pid_ns.child_reaper holds; and the
// "1002" of a sleep's arguments inside one of its /proc/PID/maps mappings. Whole-RAM scans run
// in `kdive attach` on the session, which reads guest RAM directly.
TEST_F(KernelAwareness, SearchFindsKnownValuesAndStrings) {
    const std::string marker = "KDIVE-SEARCH-MARKER-5f1e9";
    int sleeper = 0;
    for (const auto& [pid, fds] : guest_->facts.files) {
        if (fds.size() > 4) { // the sleep holds fds 3, 4 and 5 beside its standard ones
            sleeper = pid;
        }
    }
    ASSERT_NE(sleeper, 0);
    const std::string session = guest_->vm->session().dir.string();
    const auto batch = [&](const std::vector<std::string>& commands) {
        std::vector<std::string> args{"attach", session, "--batch"};
        for (const auto& command : commands) {
            args.insert(args.end(), {"-ex", command});
        }
        auto run = run_kdive(args);
        EXPECT_TRUE(run) << run.error().message;
        std::vector<std::string> lines;
        std::istringstream in(run ? *run : std::string());
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
        return lines;
    };
    guest_->release();
    const auto answers =
        batch({"search -c " + marker + " --json", "search -p -c " + marker + " --json",
               "p &init_pid_ns.child_reaper", "search $lx_task_by_pid(1) --json",
               fmt::format("search -u {} -c 1002 --json", sleeper), "search -c " + marker});
    ASSERT_GE(answers.size(), 6u);
    const Json kernel_hits = Json::parse(answers[0]);
    ASSERT_FALSE(kernel_hits["hits"].empty()) << kernel_hits;
    EXPECT_TRUE(kernel_hits["stopped"].is_null());
    std::set<std::string> physical_of_kernel_hits;
    std::vector<std::string> show;
    for (const auto& hit : kernel_hits["hits"]) {
        if (show.size() < 5) {
            show.push_back(fmt::format("p (char *){}", hit["address"].get<std::string>()));
        }
        if (hit.contains("physical")) {
            physical_of_kernel_hits.insert(hit["physical"].get<std::string>());
        }
    }
    std::set<std::string> physical;
    const Json physical_hits = Json::parse(answers[1]);
    for (const auto& hit : physical_hits["hits"]) {
        physical.insert(hit["physical"].get<std::string>());
    }
    EXPECT_EQ(physical, physical_of_kernel_hits) << answers[0] << "\n" << answers[1];
    EXPECT_GT(physical_hits["searched"].get<std::uint64_t>(), std::uint64_t{256} << 20);

    const std::string& reaper = answers[2];
    const auto at = reaper.rfind("0x");
    ASSERT_NE(at, std::string::npos) << reaper;
    const std::string reaper_address = reaper.substr(at, reaper.find_first_of(" \n", at) - at);
    const Json pointers = Json::parse(answers[3])["hits"];
    EXPECT_TRUE(std::ranges::any_of(
        pointers, [&](const Json& hit) { return hit["address"] == reaper_address; }))
        << reaper_address << " not among " << pointers.size() << " hits";

    const Json user = Json::parse(answers[4]);
    ASSERT_FALSE(user["hits"].empty()) << user;
    for (const auto& hit : user["hits"]) {
        const std::uint64_t address = std::stoull(hit["address"].get<std::string>(), nullptr, 16);
        EXPECT_TRUE(std::ranges::any_of(guest_->facts.maps[sleeper], [&](const auto& mapping) {
            return address >= mapping.start && address < mapping.end;
        })) << hit;
    }
    EXPECT_NE(answers[5].find(": " + marker), std::string::npos) << answers[5];

    // What sits at the hits is the marker, read the ordinary way.
    for (const auto& line : batch(show)) {
        EXPECT_NE(line.find(marker), std::string::npos) << line;
    }
    auto reattached = guest_->attach();
    ASSERT_TRUE(reattached) << reattached.error().message;
    EXPECT_FALSE(guest_->attempt("search"));
    auto unknown = guest_->attempt("search -u 999999 1");
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("999999"), std::string::npos);
}

// files PID names every descriptor as readlink /proc/PID/fd/N did: a regular file, /dev/null, a
// tmpfs file, the pipe to cat, the console, and nc's listening socket.
TEST_F(KernelAwareness, FilesMatchProcFd) {
    ASSERT_EQ(guest_->facts.files.size(), 2u) << "the guest did not list the fds of its tasks";
    std::set<std::string> types;
    for (const auto& [pid, fds] : guest_->facts.files) {
        auto files = guest_->json(fmt::format("files {} --json", pid));
        ASSERT_TRUE(files.is_array());
        std::map<int, std::string> seen;
        for (const auto& file : files) {
            seen[file["fd"].get<int>()] = file["path"].get<std::string>();
            types.insert(file["type"].get<std::string>());
            EXPECT_TRUE(file["file"].get<std::string>().starts_with("0xff")) << file;
        }
        EXPECT_EQ(seen, fds) << "pid " << pid;
    }
    EXPECT_TRUE(types.contains("REG") && types.contains("CHR") && types.contains("FIFO") &&
                types.contains("SOCK"))
        << fmt::format("{}", fmt::join(types, " "));
    const std::string text =
        guest_->run(fmt::format("files {}", guest_->facts.files.begin()->first));
    EXPECT_NE(text.find("COMMAND:"), std::string::npos) << text;
    auto bad = guest_->attempt("files 999999");
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().message.find("999999"), std::string::npos) << bad.error().message;
}

// vm PID lists the mappings /proc/PID/maps printed, line for line, and vm --rss counts the
// VmRSS /proc/PID/status printed (the tasks sleep: neither changes before the stop).
TEST_F(KernelAwareness, VmMatchesProcMaps) {
    ASSERT_EQ(guest_->facts.maps.size(), 2u) << "the guest did not list the maps of its tasks";
    for (const auto& [pid, maps] : guest_->facts.maps) {
        auto mappings = guest_->json(fmt::format("vm {} --json", pid));
        ASSERT_TRUE(mappings.is_array());
        ASSERT_EQ(mappings.size(), maps.size()) << "pid " << pid << ": " << mappings.dump();
        for (std::size_t i = 0; i < maps.size(); ++i) {
            const auto& mine = mappings[i];
            const auto& proc = maps[i];
            EXPECT_EQ(mine["start"], fmt::format("{:#x}", proc.start)) << pid << " " << i;
            EXPECT_EQ(mine["end"], fmt::format("{:#x}", proc.end)) << pid << " " << i;
            EXPECT_EQ(mine["flags"], proc.flags) << pid << " " << i;
            EXPECT_EQ(mine["pgoff"], proc.offset) << pid << " " << i;
            EXPECT_EQ(mine["name"], proc.path) << pid << " " << i;
        }
        auto rss = guest_->json(fmt::format("vm --rss {} --json", pid));
        EXPECT_EQ(rss["rss"].get<std::uint64_t>() / 1024, guest_->facts.rss_kib.at(pid)) << pid;
    }
    const int pid = guest_->facts.maps.begin()->first;
    const std::string text = guest_->run(fmt::format("vm {}", pid));
    EXPECT_NE(text.find("[stack]"), std::string::npos) << text;
    EXPECT_NE(guest_->run("vm 2").find("kernel thread"), std::string::npos);
}

} // namespace
} // namespace kdive::testing
