"""The `techpath` command line: thin over the engine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from techpath import __version__
from techpath.options import GENERATORS, OptionsError, PluginOptions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="techpath",
        description="Execute and verify the code in the pages and notebooks of your MkDocs site.",
    )
    parser.add_argument("--version", action="version", version=f"techpath {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser(
        "check", help="execute your site's pages without building it; exit 1 on any failure"
    )
    check.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="pages or notebooks, files or folders (default: docs/)",
    )
    add_execution_options(check)
    check.add_argument("--report", type=Path, help="also write the execution report (JSON) here")
    check.add_argument(
        "--results", type=Path, metavar="FILE", help="also write a result snapshot here (for techpath diff)"
    )
    check.add_argument(
        "--shard",
        type=parse_shard,
        metavar="K/N",
        help="run only shard K of N (1-based); each post is always in the same one shard",
    )

    lint = commands.add_parser(
        "lint", help="check front matter and page lint without executing anything (fast)"
    )
    lint.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="pages or notebooks, files or folders (default: docs/)",
    )
    lint.add_argument(
        "--max-code-line",
        type=int,
        metavar="N",
        help="longest allowed code line (default: the techpath plugin's max_code_line in mkdocs.yml; 0: off)",
    )

    report = commands.add_parser(
        "report", help="print an execution report (JSON from a build) as a Markdown table"
    )
    report.add_argument("file", type=Path, help="e.g. site/techpath-report.json")

    new = commands.add_parser(
        "new", help="create a page for your site (a post if it has a Material blog) that checks green"
    )
    new.add_argument("title", help='the title, in quotes: "Scaling features"')
    new.add_argument("--notebook", action="store_true", help="create a Jupyter notebook (.ipynb)")
    new.add_argument(
        "--category",
        "--stage",
        dest="category",
        help="a category from your blog's categories_allowed, by name or position from 1 (default the first)",
    )
    new.add_argument("--author", help="author id from your blog's .authors.yml (default the first id)")
    new.add_argument("--tags", default="draft", help="comma-separated tags (default draft)")
    new.add_argument(
        "--exercise",
        action="store_true",
        help="add an exercise skeleton (a starter that fails its check, a solution that passes)",
    )

    convert = commands.add_parser(
        "convert", help="turn a Markdown post into a notebook post (.ipynb beside it)"
    )
    convert.add_argument("post", type=Path, help="the Markdown post")
    convert.add_argument("--remove", action="store_true", help="delete the Markdown file afterwards")

    strip = commands.add_parser(
        "strip", help="remove stored outputs from notebooks (the build makes its own)"
    )
    strip.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")

    stage = commands.add_parser(
        "stage", help="execute the site and write a staged docs tree any generator can build"
    )
    stage.add_argument("--config", "-f", type=Path, default=Path("mkdocs.yml"), help="default mkdocs.yml")
    stage.add_argument(
        "--out", type=Path, default=Path(".cache/techpath/stage/tree"), help="staged tree here"
    )

    build = commands.add_parser(
        "build", help="build the site with MkDocs, ProperDocs or Zensical (the same verified pages)"
    )
    build.add_argument("--config", "-f", type=Path, default=Path("mkdocs.yml"), help="default mkdocs.yml")
    build.add_argument(
        "--generator", "-g", choices=GENERATORS,
        help="default: the techpath plugin's `generator` option, or $TECHPATH_GENERATOR",
    )  # fmt: skip
    build.add_argument("--site-dir", "-d", type=Path, help="where the site goes (default: site_dir)")
    build.add_argument("--strict", action="store_true", help="fail on warnings (not supported by Zensical)")

    serve = commands.add_parser(
        "serve", help="preview the site with the chosen generator, rebuilt on every save (make serve)"
    )
    serve.add_argument("--config", "-f", type=Path, default=Path("mkdocs.yml"), help="default mkdocs.yml")
    serve.add_argument("--generator", "-g", choices=GENERATORS)
    serve.add_argument("--dev-addr", "-a", default="127.0.0.1:8000", help="default 127.0.0.1:8000")
    diff = commands.add_parser(
        "diff", help="compare two result snapshots: what a change moved, per post and block"
    )
    diff.add_argument("base", type=Path, help="snapshot before (techpath check --results FILE)")
    diff.add_argument("head", type=Path, help="snapshot after")
    diff.add_argument(
        "--tolerance",
        type=float,
        default=0.0,
        help="ignore numbers that differ by less (absolute or relative)",
    )
    diff.add_argument(
        "--time-threshold",
        type=float,
        default=0.5,
        help="report pages whose time moved by more than this fraction (default 0.5; pages over 1 s)",
    )
    diff.add_argument("--html", type=Path, help="write the HTML report (figures side by side) here")
    diff.add_argument("--markdown", type=Path, help="write the Markdown summary here (default: print it)")
    diff.add_argument("--label", default="", help='a title for the summary, e.g. "scikit-learn 1.9"')
    diff.add_argument("--fail-on-change", action="store_true", help="exit 1 when anything changed")

    stop = commands.add_parser(
        "stop", help="stop the warm process kept between builds (this Python environment's)"
    )
    stop.add_argument("--all", action="store_true", help="every warm process of yours, from any environment")

    bench = commands.add_parser(
        "bench", help="time techpath against mkdocs-jupyter and markdown-exec on one corpus"
    )
    add_bench_options(bench)
    return parser


def add_bench_options(bench: argparse.ArgumentParser) -> None:
    bench.add_argument("--posts", type=int, default=20, help="posts in the generated corpus (default 20)")
    bench.add_argument(
        "--corpus",
        choices=("default", "light"),
        default="default",
        help="the posts: default (a fit and a histogram each) or light (a cross-validation and a "
        "scatter plot each)",
    )
    bench.add_argument("--jobs", "-j", type=int, default=None, help="workers (default: cores)")
    bench.add_argument(
        "--runs", type=int, default=3, help="runs of every build; the median is shown (default 3)"
    )
    bench.add_argument(
        "--peers",
        default="markdown-exec,mkdocs-jupyter",
        help="peers to measure, comma-separated, or 'none' (default markdown-exec,mkdocs-jupyter)",
    )
    bench.add_argument("--no-serve", action="store_true", help="skip the mkdocs serve edit latency")
    bench.add_argument(
        "--serve-post",
        type=Path,
        metavar="FILE",
        help="instead: in this site (mkdocs.yml here), time each server from saving a prose edit, "
        "then a code edit, of FILE (restored after) to its page showing it; needs --serve-url",
    )
    bench.add_argument(
        "--serve-with",
        default="mkdocs,properdocs,zensical,mkdocs-serve",
        metavar="LIST",
        help="servers for --serve-post: techpath serve -g mkdocs|properdocs|zensical, and mkdocs-serve "
        "(the peer: a whole rebuild per save); default all four",
    )
    bench.add_argument(
        "--serve-url", metavar="PATH", help="the page of --serve-post, e.g. blog/2026/01/05/pca"
    )
    bench.add_argument(
        "--serve-scale",
        type=int,
        metavar="N",
        help="also (or alone): the same edits of post 0 of the generated N-post site, in the same run; "
        "peers there: zensical-serve, markdown-exec",
    )
    bench.add_argument(
        "--serve-site",
        type=Path,
        metavar="DIR",
        help="where --serve-scale's site is written and kept (its warmed cache reused next time)",
    )
    bench.add_argument(
        "--scale", action="store_true", help="instead: sites of several sizes, techpath and plain, and shards"
    )
    bench.add_argument(
        "--sizes", default="50,200,500", help="post counts for --scale, comma-separated (default 50,200,500)"
    )
    bench.add_argument("--shards", type=int, default=4, help="shards of the largest --scale site (default 4)")
    bench.add_argument(
        "--json", "--output", dest="json", type=Path, help="also write the results as JSON here"
    )
    bench.add_argument("--keep", action="store_true", help="keep the generated sites (path printed)")
    bench.add_argument(
        "--generators", action="store_true",
        help="instead: build time of this site and the corpus with MkDocs, ProperDocs and Zensical",
    )  # fmt: skip


def parse_shard(text: str) -> tuple[int, int]:
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/N such as 2/4, got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"expected 1 <= K <= N, got {text!r}")
    return k, n


def in_shard(path: Path, shard: tuple[int, int]) -> bool:
    """Stable: depends only on the post's path, so adding a post never moves the others."""
    import hashlib

    k, n = shard
    return int(hashlib.sha256(path.as_posix().encode()).hexdigest(), 16) % n == k - 1


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that executes posts (defined once)."""

    parser.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=None,
        help="pages executed at once, never more (default: the site's, else cores)",
    )
    parser.add_argument("--refresh", action="store_true", help="ignore cached results and execute everything")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="per-block timeout (default: the site's block_timeout; unset: only the page's limit)",
    )
    parser.add_argument(
        "--memory", type=int, default=None, metavar="MB", help="memory a page may use (default 2048)"
    )


def settings_from(args: argparse.Namespace, plugin_options: PluginOptions, root: Path = Path()):
    """The site's settings (Settings.from_site, as the MkDocs plugin computes them) with this
    command's overrides."""
    from techpath.engine import Settings

    return Settings.from_site(
        root,
        plugin_options,
        jobs=args.jobs,
        refresh=args.refresh,
        block_timeout=args.timeout,
        memory_mb=args.memory,
    )


def run_check(args: argparse.Namespace) -> int:
    from techpath.engine import Engine
    from techpath.report import format_failures, write_report

    try:
        site, posts, problems = load_site_posts(args.paths, args.shard)
    except FileNotFoundError as exc:
        print(f"techpath check: {exc}", file=sys.stderr)
        return 2
    runnable = [p for p in posts if p.blocks or p.inline]
    with Engine(settings_from(args, site.options, site.root)) as engine:
        results = engine.run(runnable)
        if not args.paths and not args.shard:
            engine.evict_unused()
        stats = engine.last_stats
    failed = [r for r in results.values() if not r.ok]
    text = format_failures(results, problems)
    if text:
        print(text)
    if args.report:
        write_report(args.report, results)
    if args.results:
        from techpath.diff.snapshot import write_snapshot

        write_snapshot(args.results, results, {p.display_path: p for p in runnable})
    exercises = [e for r in results.values() for e in r.exercises]
    verified = sum(e.status == "ok" for e in exercises)
    rerun = sum(bool(r.rerun_because) for r in results.values())
    summary = (
        f"checked {len(posts)} files, {len(runnable)} with code: {stats.executed} executed"
        + (f" ({rerun} because what they used changed)" if rerun else "")
        + ", "
        f"{stats.from_cache} from cache, in {stats.seconds:.1f} s; "
        + (f"{verified} of {len(exercises)} exercises verified; " if exercises else "")
        + f"{len(failed)} failed, {len(problems)} input problems"
    )
    print(summary, file=sys.stderr)
    return 1 if failed or problems else 0


def load_site_posts(
    paths: list[Path], shard: tuple[int, int] | None = None, max_code_line: int | None = None
):
    """Site settings, the posts named by `paths` (default: the docs folder), and every input
    problem they have, alone (front matter, lint) and together (duplicate slugs)."""
    from techpath.config import SiteSettings, discover
    from techpath.model import Problem
    from techpath.parse.gate import lint_site, load_checked_post
    from techpath.safety.files import leaves_repository

    site = SiteSettings.load(Path())
    files = discover(paths or [site.docs_dir])
    if shard:
        files = [f for f in files if in_shard(f, shard)]
    # a page that is a symlink out of the repository (or into .git) is never read or run
    outside = {f: problem for f in files if (problem := leaves_repository(f, site.root))}
    problems = [Problem(f.as_posix(), 1, f"left out: {problem}") for f, problem in outside.items()]
    policy, prose = site.run_policy(), site.prose_check()
    files = [f for f in files if f not in outside]
    posts = [
        load_checked_post(f, site.schema if site.is_post(f) else None, policy, site.snippets, prose)
        for f in files
    ]
    problems += [p for post in posts for p in post.problems]
    limit = max_code_line if max_code_line is not None else int(site.options.max_code_line or 0)
    problems += lint_site([p for p in posts if site.is_post(p.path)], max_code_line=limit)
    return site, posts, problems


def run_lint(args: argparse.Namespace) -> int:
    from techpath.contrib.lint import lint_files

    try:
        site, posts, problems = load_site_posts(args.paths, max_code_line=args.max_code_line)
    except FileNotFoundError as exc:
        print(f"techpath lint: {exc}", file=sys.stderr)
        return 2
    static_allow = list(site.options.static_allow)
    from techpath.safety.site import page_rules

    rules = page_rules(site.options, site.markdown_extensions)
    problems = lint_files(site.root, site.docs_dir, site.config, static_allow, args.paths, rules) + problems
    for problem in problems:
        print(problem)
    print(f"linted {len(posts)} files: {len(problems)} problems", file=sys.stderr)
    return 1 if problems else 0


def run_report(args: argparse.Namespace) -> int:
    import json

    from techpath.report import markdown_table_from_rows

    rows = json.loads(args.file.read_text(encoding="utf-8"))["posts"]
    print(markdown_table_from_rows(rows))
    return 1 if any(r["status"] != "ok" for r in rows) else 0


def run_new(args: argparse.Namespace) -> int:
    from techpath.config import SiteSettings
    from techpath.contrib.scaffold import NewPost, ScaffoldError, Target, create_post

    site = SiteSettings.load(Path())
    tags = tuple(t.strip() for t in args.tags.split(",") if t.strip()) or ("draft",)
    request = NewPost(args.title, args.category, args.author, tags, args.notebook, args.exercise)
    target = Target(
        site.posts_dir if site.has_blog else site.docs_dir,
        site.has_blog,
        tuple(sorted(site.schema.authors)),
        site.categories,
        site.authors_file,
    )
    try:
        path = create_post(request, target)
    except ScaffoldError as exc:
        print(f"techpath new: {exc}", file=sys.stderr)
        return 1
    print(f"created {path.as_posix()}")
    print(f"preview it on your site with `techpath serve`, check it with `techpath check {path.as_posix()}`")
    return 0


def run_convert(args: argparse.Namespace) -> int:
    from techpath.render.notebooks import markdown_cells, notebook_json, to_notebook

    if args.post.suffix != ".md" or not args.post.is_file():
        print(f"techpath convert: {args.post}: expected an existing .md post", file=sys.stderr)
        return 2
    target = args.post.with_suffix(".ipynb")
    if target.exists():
        print(f"techpath convert: {target} exists; not overwriting it", file=sys.stderr)
        return 1
    cells = markdown_cells(args.post.read_text(encoding="utf-8"))
    target.write_text(notebook_json(to_notebook(cells, for_readers=False)), encoding="utf-8")
    if args.remove:
        args.post.unlink()
    print(f"wrote {target} ({len(cells)} cells)")
    return 0


def run_strip(args: argparse.Namespace) -> int:
    from techpath.parse.notebook import strip_outputs

    for path in args.notebooks:
        if strip_outputs(path):
            print(f"stripped {path}")
    return 0


def run_bench_command(args: argparse.Namespace) -> int:
    import json
    import os

    if args.generators:
        return run_generator_bench(args)
    jobs = args.jobs or os.cpu_count() or 1
    if args.serve_post or args.serve_scale:
        return run_serve_prose(args)
    if args.scale:
        from techpath.bench.scale import format_scale, run_scale

        sizes = tuple(int(n) for n in args.sizes.split(",") if n.strip())
        report = run_scale(sizes, jobs, args.runs, args.shards, keep=args.keep)
        print(format_scale(report))
    else:
        from techpath.bench.corpus import PEERS
        from techpath.bench.run import format_report, report_json, run_bench

        peers = () if args.peers == "none" else tuple(p.strip() for p in args.peers.split(",") if p.strip())
        unknown = set(peers) - set(PEERS)
        if unknown:
            print(
                f"techpath bench: unknown peers {sorted(unknown)}; known: {', '.join(PEERS)}", file=sys.stderr
            )
            return 2
        from techpath.bench.corpus import CORPORA

        report = run_bench(
            args.posts,
            jobs,
            args.runs,
            peers,
            serve=not args.no_serve,
            keep=args.keep,
            corpus=CORPORA[args.corpus],
        )
        print(format_report(report))
        report = report_json(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0 if all(v["status"] == "pass" for v in report["verdicts"]) else 1


def run_serve_prose(args: argparse.Namespace) -> int:
    import json
    import os
    import shutil
    import tempfile

    from techpath.bench.measure import MARKER, new_marker, stop_marked
    from techpath.bench.run import bench_env
    from techpath.bench.serve_post import SERVERS, format_rows, measure_server, size_ratios
    from techpath.bench.serve_scale import peer_target, scale_site, site_target
    from techpath.bench.table import format_machine, machine_info

    servers = [s.strip() for s in args.serve_with.split(",") if s.strip()]
    ours = bool(args.serve_post)
    if (ours and (not args.serve_url or not args.serve_post.is_file())) or set(servers) - set(SERVERS):
        print(
            "techpath bench: --serve-post needs an existing file and --serve-url; "
            f"--serve-with takes {', '.join(SERVERS)}",
            file=sys.stderr,
        )
        return 2
    machine = machine_info()  # its load average: at the start
    work = Path(tempfile.mkdtemp(prefix="techpath-serve-bench-"))
    scale_root = args.serve_site or work / "scale"
    sites = []
    if ours:
        sites.append(("this site", site_target(Path.cwd(), args.serve_post.resolve(), args.serve_url)))
    if args.serve_scale:
        site = scale_site(scale_root.resolve(), args.serve_scale, bench_env(), _progress_line)
        sites.append(
            (
                f"the {args.serve_scale}-post bench site",
                site_target(site, site / "docs" / "post000.md", "post000"),
            )
        )
    tables = {}
    try:
        for name, target in sites:
            rows = []
            for server in servers:
                env = {**bench_env(), MARKER: new_marker()}
                try:
                    where = peer_target(server, target, work / name.replace(" ", "-"), env)
                    if where is None:
                        _progress_line(f"{name}: {server} cannot run on this site, skipped")
                        continue
                    _progress_line(
                        f"{name}: {server}: {args.runs} prose edits"
                        + (f", {args.runs} code edits" if where.code else "")
                    )
                    rows.append(
                        measure_server(
                            server,
                            where.site,
                            where.config,
                            where.post,
                            where.url,
                            env,
                            args.runs,
                            where.code,
                            where.fence,
                        )
                    )
                finally:
                    stop_marked(env[MARKER])
            tables[name] = (target, rows)
    finally:
        if not (args.keep and not args.serve_site):
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"serve bench files kept in {work}", file=sys.stderr)
    print(format_machine(machine))
    print(f"load average at the end {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "")
    for name, (target, rows) in tables.items():
        print(f"\n{name}: edits of {target.post}, page {target.url}: median (min-max) of {args.runs}")
        print(format_rows(rows))
    if len(tables) == 2:
        (_, (_, small)), (big_name, (_, big)) = tables.items()
        print(f"\n{big_name} against this site, same run (medians; 1.0 = size does not matter):")
        print(size_ratios(small, big))
    if args.json:
        report = {
            "machine": machine,
            "load_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
            "sites": {
                name: {"post": str(t.post), "url": t.url, "rows": [r.as_json() for r in rows]}
                for name, (t, rows) in tables.items()
            },
        }
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _progress_line(text: str) -> None:
    print(f"techpath bench: {text}", file=sys.stderr, flush=True)


def run_stage(args: argparse.Namespace) -> int:
    from techpath.generators.build import stage

    staged = stage(args.config, args.out)
    staged.stager.finish(keep_engine=False)
    print(
        f"staged {len(staged.stager.records.pages)} pages in {staged.docs_dir}; config {staged.config_file}"
    )
    return 0


def run_build(args: argparse.Namespace) -> int:
    from techpath.generators.build import build, chosen_generator

    generator = args.generator or chosen_generator(args.config)
    return build(args.config, generator, args.site_dir, args.strict)


def run_generator_bench(args: argparse.Namespace) -> int:
    """Rows of its own (bench/generators.py): this site and the bench corpus, per generator."""
    import json
    import shutil
    import tempfile

    from techpath.bench.corpus import CORPORA, write_sites
    from techpath.bench.generators import format_generators, measure_generators

    root = Path(tempfile.mkdtemp(prefix="techpath-bench-corpus-"))
    try:
        corpus = write_sites(root, args.posts, corpus=CORPORA[args.corpus])["techpath"]
        rows = measure_generators({"this site": Path.cwd(), f"corpus ({args.posts} posts)": corpus})
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(format_generators(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from techpath.generators.build import chosen_generator
    from techpath.generators.serve import serve

    return serve(args.config, args.generator or chosen_generator(args.config), args.dev_addr)


def run_diff(args: argparse.Namespace) -> int:
    from techpath.diff.compare import compare
    from techpath.diff.report import html_report, markdown_summary
    from techpath.diff.snapshot import read_snapshot

    try:
        base, head = read_snapshot(args.base), read_snapshot(args.head)
    except ValueError as exc:
        print(f"techpath diff: {exc}", file=sys.stderr)
        return 2
    changes = compare(base, head, args.tolerance, args.time_threshold)
    summary = markdown_summary(changes, args.label)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(summary, encoding="utf-8")
    else:
        print(summary)
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(html_report(changes, args.label), encoding="utf-8")
    print(f"{len(changes)} changes", file=sys.stderr)
    return 1 if changes and args.fail_on_change else 0


def run_stop(args: argparse.Namespace) -> int:
    from techpath.execute.client import stop_warm_parents

    stopped = stop_warm_parents(every_environment=args.all)
    if stopped:
        print("techpath: stopped warm process " + ", ".join(f"pid {pid}" for pid in stopped))
    else:
        print("techpath: no warm process was running")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "check": run_check,
        "lint": run_lint,
        "new": run_new,
        "convert": run_convert,
        "strip": run_strip,
        "report": run_report,
        "bench": run_bench_command,
        "stage": run_stage,
        "build": run_build,
        "serve": run_serve,
        "diff": run_diff,
        "stop": run_stop,
    }
    if args.command not in commands:
        parser.print_help()
        return 0
    try:
        return commands[args.command](args)
    except OptionsError as exc:  # bad values in mkdocs.yml's techpath block, each named
        print(f"techpath {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
