"""mindLink: resolution, caching and invalidation, cycles, missing files, duplicate and private names."""

from __future__ import annotations

import io
import os

from hypnoscript.project.execute import run_program
from hypnoscript.syntax.source import Source

from .helpers import manifest, program, write


def run(path: str, use_cache: bool = True) -> tuple[int, str, str]:
    with open(path, encoding="utf-8") as fh:
        source = Source(fh.read(), path)
    out, err = io.StringIO(), io.StringIO()
    status = run_program(source, stdout=out, stderr=err, use_cache=use_cache)
    return status, out.getvalue(), err.getvalue()


def test_relative_to_the_importing_file(tmp_path):
    write(tmp_path / "lib" / "math.hyp", program("suggestion double(x) { awaken x * 2; }"))
    main = write(tmp_path / "main.hyp", program('mindLink "lib/math.hyp";\nobserve double(21);'))
    assert run(main) == (0, "42\n", "")


def test_relative_to_the_project_root(tmp_path):
    manifest(tmp_path)
    write(tmp_path / "shared" / "text.hyp", program('suggestion shout(s) { awaken ToUpper(s) + "!"; }'))
    main = write(tmp_path / "src" / "deep" / "main.hyp", program('mindLink "shared/text.hyp";\nobserve shout("hey");'))
    assert run(main) == (0, "HEY!\n", "")


def test_extension_may_be_left_out(tmp_path):
    write(tmp_path / "util.hyp", program("freeze ANSWER = 42;"))
    main = write(tmp_path / "main.hyp", program('mindLink "util";\nobserve ANSWER;'))
    assert run(main) == (0, "42\n", "")


def test_a_bare_name_links_that_file(tmp_path):
    write(tmp_path / "Fixtures.hyp", program('induce testUser = { name: "Ann" };'))
    main = write(tmp_path / "main.hyp", program("mindLink Fixtures;\nobserve testUser.name;"))
    assert run(main) == (0, "Ann\n", "")


def test_installed_package_file_and_entry(tmp_path):
    manifest(tmp_path)
    pkg = tmp_path / "trance_modules" / "colors"
    manifest(pkg, name="colors", induction={"entryScript": "src/colors.hyp"})
    write(pkg / "src" / "colors.hyp", program('suggestion paint(s) { awaken "*" + s + "*"; }'))
    write(pkg / "extra.hyp", program("freeze SHADES = 3;"))
    main = write(tmp_path / "src" / "main.hyp",
                 program('mindLink "colors";\nmindLink "colors/extra.hyp";\nobserve paint("x") + SHADES;'))
    assert run(main) == (0, "*x*3\n", "")


def test_package_finds_its_own_dependencies_in_the_project(tmp_path):
    manifest(tmp_path)
    base = tmp_path / "trance_modules"
    manifest(base / "a", name="a")
    write(base / "a" / "a.hyp", program('mindLink "b/b.hyp";\nsuggestion fromA() { awaken "a" + fromB(); }'))
    manifest(base / "b", name="b")
    write(base / "b" / "b.hyp", program('suggestion fromB() { awaken "b"; }'))
    main = write(tmp_path / "main.hyp", program('mindLink "a/a.hyp";\nobserve fromA();'))
    assert run(main) == (0, "ab\n", "")


def test_a_module_runs_once(tmp_path):
    write(tmp_path / "counter.hyp", program('observe "loading";\nsuggestion one() { awaken 1; }'))
    write(tmp_path / "a.hyp", program('mindLink "counter.hyp";\nsuggestion viaA() { awaken one(); }'))
    main = write(tmp_path / "main.hyp",
                 program('mindLink "counter.hyp";\nmindLink "a.hyp";\nobserve one() + viaA();'))
    assert run(main) == (0, "loading\n2\n", "")


def test_editing_a_module_is_seen_through_the_cache(tmp_path):
    lib = write(tmp_path / "lib.hyp", program('suggestion greet() { awaken "hello"; }'))
    main = write(tmp_path / "main.hyp", program('mindLink "lib.hyp";\nobserve greet();'))
    assert run(main) == (0, "hello\n", "")
    assert run(main) == (0, "hello\n", "")  # now from the cache
    write(lib, program('suggestion greet() { awaken "goodbye"; }'))
    assert run(main) == (0, "goodbye\n", "")
    # a module that gains a name: the importer is recompiled and can use it
    write(lib, program('suggestion greet() { awaken "hi"; }\nsuggestion extra() { awaken "!"; }'))
    write(main, program('mindLink "lib.hyp";\nobserve greet() + extra();'))
    assert run(main) == (0, "hi!\n", "")


def test_a_removed_name_is_an_error_after_a_cached_run(tmp_path):
    lib = write(tmp_path / "lib.hyp", program("suggestion gone() { awaken 1; }\nsuggestion stays() { awaken 2; }"))
    main = write(tmp_path / "main.hyp", program('mindLink "lib.hyp";\nobserve stays();'))
    assert run(main) == (0, "2\n", "")
    write(lib, program("suggestion stays() { awaken 3; }"))
    assert run(main) == (0, "3\n", "")


def test_missing_module_points_at_the_mindlink(tmp_path):
    main = write(tmp_path / "main.hyp", program('observe 1;\nmindLink "nowhere.hyp";'))
    status, out, err = run(main)
    assert status == 1 and out == ""
    assert "error[HYP5001]: module not found: \"nowhere.hyp\"" in err
    assert f"{main}:3:1" in err


def test_cycle_points_at_the_mindlink_that_closes_it(tmp_path):
    write(tmp_path / "a.hyp", program('mindLink "b.hyp";\nsuggestion fa() { awaken 1; }'))
    write(tmp_path / "b.hyp", program('\nmindLink "a.hyp";\nsuggestion fb() { awaken 2; }'))
    main = write(tmp_path / "main.hyp", program('mindLink "a.hyp";'))
    status, _, err = run(main)
    assert status == 1
    assert "error[HYP5002]: import cycle:" in err
    assert "a.hyp -> " in err and "b.hyp -> " in err
    assert f"{tmp_path / 'b.hyp'}:3:1" in err


def test_a_module_importing_itself_is_a_cycle(tmp_path):
    main = write(tmp_path / "main.hyp", program('observe 1;'))
    write(tmp_path / "self.hyp", program('mindLink "self.hyp";'))
    write(main, program('mindLink "self.hyp";'))
    status, _, err = run(main)
    assert status == 1 and "HYP5002" in err


def test_same_name_from_two_modules_points_at_the_second_mindlink(tmp_path):
    write(tmp_path / "en.hyp", program('suggestion greet() { awaken "hello"; }\nsuggestion onlyEn() { awaken 1; }'))
    write(tmp_path / "de.hyp", program('suggestion greet() { awaken "hallo"; }'))
    main = write(tmp_path / "main.hyp", program('mindLink "en.hyp";\n\nmindLink "de.hyp";\nobserve greet();'))
    status, out, err = run(main)
    assert status == 1 and out == ""
    assert 'error[HYP5005]: mindLink "de.hyp" binds "greet", already bound by mindLink "en.hyp"' in err
    assert f"{main}:4:1" in err


def test_importing_one_module_twice_is_fine(tmp_path):
    write(tmp_path / "lib.hyp", program("suggestion f() { awaken 7; }"))
    main = write(tmp_path / "main.hyp", program('mindLink "lib.hyp";\nmindLink "./lib.hyp";\nobserve f();'))
    assert run(main) == (0, "7\n", "")


def test_underscore_names_stay_private(tmp_path):
    write(tmp_path / "lib.hyp", program("induce _secret = 41;\nsuggestion _helper() { awaken 1; }\n"
                                        "suggestion answer() { awaken _secret + _helper(); }"))
    main = write(tmp_path / "main.hyp", program('mindLink "lib.hyp";\nobserve answer();'))
    assert run(main) == (0, "42\n", "")
    write(main, program('mindLink "lib.hyp";\nobserve _secret;'))
    status, _, err = run(main)
    assert status == 1 and "_secret" in err


def test_private_names_never_clash(tmp_path):
    write(tmp_path / "a.hyp", program("suggestion _util() { awaken 1; }\nsuggestion fa() { awaken _util(); }"))
    write(tmp_path / "b.hyp", program("suggestion _util() { awaken 2; }\nsuggestion fb() { awaken _util(); }"))
    main = write(tmp_path / "main.hyp", program('mindLink "a.hyp";\nmindLink "b.hyp";\nobserve fa() + fb();'))
    assert run(main) == (0, "3\n", "")


def test_names_a_module_imports_are_not_passed_on(tmp_path):
    write(tmp_path / "base.hyp", program("suggestion shared() { awaken 1; }"))
    write(tmp_path / "left.hyp", program('mindLink "base.hyp";\nsuggestion left() { awaken shared(); }'))
    write(tmp_path / "right.hyp", program('mindLink "base.hyp";\nsuggestion right() { awaken shared() + 1; }'))
    main = write(tmp_path / "main.hyp",
                 program('mindLink "left.hyp";\nmindLink "right.hyp";\nobserve left() + right();'))
    assert run(main) == (0, "3\n", "")


def test_error_inside_a_module_reports_the_module(tmp_path):
    lib = write(tmp_path / "lib.hyp", program("observe (1;"))
    main = write(tmp_path / "main.hyp", program('mindLink "lib.hyp";'))
    status, _, err = run(main)
    assert status == 1 and f"{lib}:" in err


def test_modules_see_the_working_directory_last(tmp_path, monkeypatch):
    write(tmp_path / "cwd" / "helper.hyp", program("freeze WHERE = \"cwd\";"))
    main = write(tmp_path / "elsewhere" / "main.hyp", program('mindLink "helper.hyp";\nobserve WHERE;'))
    monkeypatch.chdir(tmp_path / "cwd")
    assert run(os.path.abspath(main)) == (0, "cwd\n", "")
