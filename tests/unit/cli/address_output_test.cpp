// kmem ADDR, kmem -p and vmalloc formatters with hostile guest strings (cache, module, section,
// comm and caller names): the JSON parses strictly and gives the bytes back; the text holds no
// raw control byte and keeps its lines.
#include "cli/address_output.hpp"
#include "hostile_strings.hpp"

namespace kdive::cli {
namespace {

TEST(AddressOutput, EveryKindWithHostileNames) {
    for (const auto& name : hostile_names()) {
        const CodeNamer namer = [&](std::uint64_t) { return name; };
        kernel::PageInfo page;
        page.pfn = 0x3dfe;
        page.page = 0xffffea00000f7f80ull;
        page.head = 0xffffea00000f7e00ull;
        page.flag_names = {"slab", "head"};
        page.slab = true;

        kernel::AddressOwner slab;
        slab.address = 0xffff888003dfe010ull;
        slab.kind = "slab";
        kernel::SlabObject object;
        object.cache = 0xffff888003db5e00ull;
        object.cache_name = name;
        object.slab = page.head;
        object.object = 0xffff888003dfe000ull;
        object.index = 4;
        object.object_size = 6144;
        object.objects = 5;
        object.free_in = "CPU 1 freelist";
        slab.slab = object;
        slab.page = page;
        const Json slab_json = parse_strictly(address_owner_json(slab, namer));
        EXPECT_EQ(bytes_of(slab_json["cache_name"]), name);
        EXPECT_EQ(slab_json["object_offset"], 0x10);
        EXPECT_EQ(slab_json["allocated"], false);
        EXPECT_EQ(slab_json["free_in"], "CPU 1 freelist");
        EXPECT_EQ(slab_json["page"]["pfn"], 0x3dfe);
        const std::string slab_text = address_owner_text(slab, namer);
        EXPECT_FALSE(has_raw_control(slab_text)) << slab_text;
        EXPECT_NE(slab_text.find("FREE (CPU 1 freelist)"), std::string::npos) << slab_text;
        EXPECT_EQ(lines(slab_text), 4u) << slab_text;

        kernel::AddressOwner module;
        module.address = 0xffffffffc0201010ull;
        module.kind = "module";
        module.module = name;
        module.section = name;
        module.region = "text";
        module.symbol = name;
        module.symbol_offset = 0x10;
        const Json module_json = parse_strictly(address_owner_json(module, namer));
        EXPECT_EQ(bytes_of(module_json["module"]), name);
        EXPECT_EQ(bytes_of(module_json["section"]), name);
        EXPECT_EQ(bytes_of(module_json["symbol"]), name);
        EXPECT_EQ(lines(address_owner_text(module, namer)), 1u);
        EXPECT_FALSE(has_raw_control(address_owner_text(module, namer)));

        kernel::AddressOwner stack;
        stack.address = 0xffffc90000010100ull;
        stack.kind = "stack";
        kernel::TaskInfo task;
        task.task = 0xffff888003dfe000ull;
        task.pid = 1;
        task.comm = name;
        stack.task = task;
        stack.stack_base = 0xffffc90000010000ull;
        stack.stack_size = 16384;
        kernel::VmallocArea area;
        area.start = stack.stack_base;
        area.end = stack.stack_base + 0x5000;
        area.vm = 0xffff888004000000ull;
        area.address = stack.stack_base;
        area.size = 0x5000;
        area.caller = 0xffffffff81000000ull;
        area.nr_pages = 4;
        area.kinds = {"vmalloc"};
        stack.vmalloc = area;
        const Json stack_json = parse_strictly(address_owner_json(stack, namer));
        EXPECT_EQ(bytes_of(stack_json["comm"]), name);
        EXPECT_EQ(stack_json["depth"], 16384 - 0x100);
        EXPECT_EQ(bytes_of(stack_json["vmalloc"]["caller"]), name);
        const std::string stack_text = address_owner_text(stack, namer);
        EXPECT_FALSE(has_raw_control(stack_text)) << stack_text;
        EXPECT_EQ(lines(stack_text), 2u) << stack_text;

        kernel::VmallocArea ram;
        ram.start = 0xffffc90000100000ull;
        ram.end = 0xffffc90000102000ull;
        ram.kinds = {"vm_map_ram"};
        const std::vector<kernel::VmallocArea> areas = {area, ram};
        const Json rows = parse_strictly(vmalloc_areas_json(areas, namer));
        ASSERT_EQ(rows.size(), 2u);
        EXPECT_EQ(bytes_of(rows[0]["caller"]), name);
        EXPECT_FALSE(rows[1].contains("caller"));
        const std::string text = vmalloc_areas_text(areas, namer);
        EXPECT_FALSE(has_raw_control(text)) << text;
        EXPECT_EQ(lines(text), 2u) << text;
    }
}

TEST(AddressOutput, PageRow) {
    kernel::PageInfo page;
    page.pfn = 0x100;
    page.page = 0xffffea0000004000ull;
    page.head = page.page;
    page.flags = 0x7ffffc0000200ull;
    page.flag_names = {"head"};
    page.type = "slab";
    const Json json = parse_strictly(page_json(page));
    EXPECT_EQ(json["physical"], "0x100000");
    EXPECT_EQ(json["flag_names"], Json::array({"head"}));
    const std::string text = page_text(page);
    EXPECT_EQ(lines(text), 2u) << text;
    EXPECT_NE(text.find("head type=slab"), std::string::npos) << text;
}

} // namespace
} // namespace kdive::cli
