"""Build the course as a static website, from the committed notebooks and markdown, executing nothing.

    python scripts/build_site.py            # -> _build/site/index.html (what `make site` runs)

The builder is Jupyter Book 1 (Sphinx, sphinx-book-theme, MyST-NB with execution off): it builds
offline; Jupyter Book 2 fetches its site template from the network at build time (CONTRIBUTING.md).
The book is laid out in `_build/site_src/` as the repository is (`notebooks/`, `docs/`,
`benchmarks/`), so the links between lessons, deep dives and docs resolve as they do in
JupyterLab. The front page is written here from the lessons themselves (each lesson's time,
questions and key points), so it never disagrees with them. Sphinx's warnings are errors.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO_DIR = Path(__file__).resolve().parent.parent
BUILD_DIR = REPO_DIR / "_build"
MAIN_PATH_GLOB = "[0-9][0-9]_*.ipynb"
HTML_ANCHOR = re.compile(r'^<a id="([\w-]+)"></a>$', re.M)
LINK_TO_COURSE_MAP = re.compile(r"\]\((?:\.\./)*START_HERE\.ipynb\)")
LINK_TO_ANCHOR = re.compile(r"\[([^\]]+)\]\([^)\s]+\.ipynb#([\w-]+)\)")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = (
    "*Here the notebook shows an interactive widget. Run the lesson in JupyterLab to use it; "
    "the cells before it show the same function called with fixed values.*"
)
# Pages that are not notebooks, in the order the site lists them: (path in the repo, title in the map).
REFERENCE_PAGES = [
    ("docs/faq.md", "Questions people ask"),
    ("docs/glossary.md", "Glossary"),
    ("docs/reliability.md", "Reliability"),
    ("benchmarks/README.md", "Benchmarks"),
    ("docs/instructor_notes.md", "Instructor notes"),
]


def main_path() -> list[Path]:
    return sorted((REPO_DIR / "notebooks").glob(MAIN_PATH_GLOB))


def deep_dives() -> list[Path]:
    return sorted((REPO_DIR / "notebooks" / "deep_dives").glob("*.ipynb"))


def reference_pages() -> list[tuple[Path, str]]:
    return [(REPO_DIR / path, title) for path, title in REFERENCE_PAGES if (REPO_DIR / path).is_file()]


def for_the_site(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as the site shows it: widgets stilled, each HTML anchor that a link aims at
    (`<a id="q-…"></a>` on a line of its own) made a MyST target, which Sphinx resolves, and a
    link to the course map in JupyterLab (`START_HERE.ipynb`) made a link to the front page."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = LINK_TO_COURSE_MAP.sub("](/index.md)", HTML_ANCHOR.sub(r"(\1)=", _cell_text(cell)))
    return still_widgets(notebook)


def links_to_targets(markdown: str, anchors: set[str]) -> str:
    """A page's links to a notebook's HTML anchor (`[§1](…/x.ipynb#q-…)`), made references to the
    MyST target the anchor becomes: Sphinx resolves a link's `#fragment` only against headings."""

    def reference(match: re.Match) -> str:
        text, anchor = match.group(1), match.group(2)
        return f"{{ref}}`{text} <{anchor}>`" if anchor in anchors else match.group(0)

    return LINK_TO_ANCHOR.sub(reference, markdown)


def still_widgets(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with each widget output replaced by a sentence saying what it is: without a
    kernel a widget has nothing to draw, and would show as an empty box."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if WIDGET_MIME in output.get("data", {}):
                output = nbformat.v4.new_output("display_data", data={"text/markdown": WIDGET_NOTE})
            outputs.append(output)
        cell.outputs = outputs
    notebook.metadata.pop("widgets", None)
    return notebook


def _cell_text(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def lesson_summary(path: Path) -> dict:
    """Title, time, questions and key points of a main-path lesson, read from its markdown."""
    cells = [_cell_text(c) for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"]
    first = cells[0] if cells else ""
    title = next((line.lstrip("# ").strip() for line in first.splitlines() if line.startswith("# ")), path.stem)
    time = re.search(r"\*\*Time:\*\*\s*(.+)", first)
    return {
        "title": title,
        "time": time.group(1).strip() if time else "",
        "questions": _bullets_after(first, "Questions"),
        "key_points": next((_bullets_after(text, "Key points") for text in cells if "Key points" in text), []),
    }


def _bullets_after(markdown: str, heading: str) -> list[str]:
    """The bullet lines that follow the line naming `heading` (a heading or a bold label)."""
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if heading in line and not line.startswith(("-", "*  "))), None)
    if start is None:
        return []
    bullets = []
    for line in lines[start + 1 :]:
        if line.startswith(("- ", "* ")):
            bullets.append(line[2:].strip())
        elif bullets and line.strip() and not line.startswith("  "):
            break
    return bullets


def front_page() -> str:
    """The course map: how to run it, each lesson's time, questions and key points, the deep dives."""
    lines = [
        "# Dagster & ETL — triggering partitions",
        "",
        "Data arrives as files. A pipeline can run on a **schedule** or be **event-driven**: a sensor",
        "watches the folder or bucket, keeps a cursor of what it has seen and requests a run per file.",
        "This course teaches the trade-off by doing it, in Jupyter, on a real Dagster project that loads",
        "CSV files into DuckDB. Read the lessons here; run them on your machine to change them.",
        "",
        "## Run it yourself",
        "",
        "On a machine with Python 3.11 or newer, in a clone of the repository:",
        "",
        "```bash",
        "make lessons   # install, then open the course in JupyterLab",
        "make test      # install, then run the whole test suite",
        "```",
        "",
        "No local Python? The repository opens in a **dev container** (`.devcontainer/`: GitHub",
        "Codespaces or VS Code's *Reopen in Container*), which installs with the same `make install`",
        "and forwards JupyterLab's port (8888) and Dagster's (3000); or on **Binder**, which builds",
        "from `environment.yml`. Each lesson page has a download button for its notebook; the copies",
        "without the exercise solutions are in the repository's `learner/` folder.",
        "",
        "## The lessons",
        "",
        "Read them in order: each takes about half an hour and ends with exercises that check",
        "themselves.",
        "",
    ]
    for path in main_path():
        summary = lesson_summary(path)
        lines += [f"### [{summary['title']}](notebooks/{path.name})", ""]
        if summary["time"]:
            lines += [f"**Time:** {summary['time']}", ""]
        if summary["questions"]:
            lines += ["**Questions**", "", *(f"- {q}" for q in summary["questions"]), ""]
        if summary["key_points"]:
            lines += ["**Key points**", "", *(f"- {k}" for k in summary["key_points"]), ""]
    lines += [
        "## Deep dives",
        "",
        "Optional: the depth the lessons leave out (Dagster's internals, edge cases, measurements).",
        "The lessons link each where it matters.",
        "",
    ]
    for path in deep_dives():
        lines.append(f"- [{_title(path)}](notebooks/deep_dives/{path.name})")
    lines += ["", "## Reference", ""]
    for path, title in reference_pages():
        lines.append(f"- [{title}]({path.relative_to(REPO_DIR).as_posix()})")
    return "\n".join(lines) + "\n"


def _title(path: Path) -> str:
    first = next((c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"), None)
    heading = next((ln for ln in _cell_text(first).splitlines() if ln.startswith("# ")), "") if first else ""
    return heading.lstrip("# ").strip() or path.stem


def table_of_contents() -> str:
    """`_toc.yml` (Jupyter Book's jb-book format): the front page, the lessons, the deep dives, the docs."""

    def entries(paths):
        return "".join(f"      - file: {p.relative_to(REPO_DIR).with_suffix('').as_posix()}\n" for p in paths)

    toc = "format: jb-book\nroot: index\nparts:\n"
    toc += "  - caption: The lessons\n    chapters:\n" + entries(main_path())
    if deep_dives():
        toc += "  - caption: Deep dives\n    chapters:\n" + entries(deep_dives())
    toc += "  - caption: Reference\n    chapters:\n" + entries(p for p, _ in reference_pages())
    return toc


CONFIG = """\
title: "Dagster & ETL — triggering partitions"
author: "The course's authors"
only_build_toc_files: true
execute:
  execute_notebooks: "off"
html:
  use_download_button: true
  use_repository_button: false
  use_issues_button: false
  use_edit_page_button: false
# Thebe (live code in the page) needs a kernel server; it is off, and its script with it.
launch_buttons:
  thebe: false
  binderhub_url: ""
sphinx:
  config:
    # Without an icon of its own a browser asks the server for /favicon.ico, and logs the 404.
    html_favicon: "docs/images/favicon.svg"
    nb_execution_mode: "off"
    myst_heading_anchors: 3
    html_show_copyright: false
    # The theme's script reads the page's mode from here; left empty it logs "Got invalid theme
    # mode" on every page.
    html_context:
      default_mode: "light"
    html_theme_options:
      navigation_with_keys: false
    # Jupyter Book's extensions less sphinx-thebe (live code needs a kernel server, and its
    # script declares THEBE_JS_URL twice in a page).
    extensions:
      - sphinx_togglebutton
      - sphinx_copybutton
      - myst_nb
      - jupyter_book
      - sphinx_comments
      - sphinx_external_toc
      - sphinx.ext.intersphinx
      - sphinx_design
      - sphinx_book_theme
parse:
  myst_enable_extensions:
    - colon_fence
    - html_image
"""


def stage(source_dir: Path) -> None:
    """Lay the book out in `source_dir`: the notebooks (widgets stilled), docs, figures, index, config."""
    if source_dir.exists():
        shutil.rmtree(source_dir)
    for path in [*main_path(), *deep_dives()]:
        target = source_dir / path.relative_to(REPO_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(for_the_site(nbformat.read(path, as_version=4)), target)
    anchors = {
        anchor
        for path in [*main_path(), *deep_dives()]
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
        for anchor in HTML_ANCHOR.findall(_cell_text(cell))
    }
    for path, _ in reference_pages():
        target = source_dir / path.relative_to(REPO_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(links_to_targets(path.read_text(encoding="utf-8"), anchors), encoding="utf-8")
    shutil.copytree(REPO_DIR / "docs" / "images", source_dir / "docs" / "images")
    for figure in (REPO_DIR / "benchmarks").glob("*.png"):
        shutil.copy2(figure, source_dir / "benchmarks" / figure.name)
    (source_dir / "index.md").write_text(front_page(), encoding="utf-8")
    (source_dir / "_toc.yml").write_text(table_of_contents(), encoding="utf-8")
    (source_dir / "_config.yml").write_text(CONFIG, encoding="utf-8")


def build(out_dir: Path) -> None:
    source_dir = BUILD_DIR / "site_src"
    stage(source_dir)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    subprocess.run(
        [str(jupyter_book), "build", str(source_dir), "--builder", "html", "-W", "-n", "--keep-going", "--quiet"],
        check=True,
    )
    if out_dir.exists():
        shutil.rmtree(out_dir)
    shutil.copytree(source_dir / "_build" / "html", out_dir)
    shown = out_dir.relative_to(REPO_DIR) if out_dir.is_relative_to(REPO_DIR) else out_dir
    print(f"The site is in {shown}/: preview it with `python -m http.server -d {shown} -b 127.0.0.1 8000`")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=BUILD_DIR / "site", help="where the HTML goes")
    build(parser.parse_args().out.resolve())


if __name__ == "__main__":
    main()
