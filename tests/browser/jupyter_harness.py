"""Start Jupyter servers on loopback and drive them from Debian's headless Chromium.

Shared by ``tests/browser/conftest.py`` and ``benchmarks/bench_browser_slider.py``; it
imports neither pytest nor lossviz. (It is not called ``jupyter.py``: that name belongs to
a module jupyter_core installs.)

Helpers, by group:

- servers: :func:`isolated_env`, :func:`start_jupyterlab`, :func:`start_notebook7`,
  :func:`start_voila` return a :class:`Server` whose :meth:`Server.stop` ends its process
  group by id;
- browser: :func:`find_chromium`, :func:`launch_chromium`, :func:`new_local_page` (a page
  that can reach nothing but this machine);
- pages: :func:`open_notebook` (JupyterLab or Notebook 7), :func:`wait_kernel_idle`,
  :func:`restart_and_run_all`, :func:`run_all_from_menu`, :func:`open_voila`,
  :func:`error_outputs`, :func:`assert_no_errors`, :func:`output_texts`,
  :func:`page_errors`;
- widgets: :func:`find_slider`, :func:`slider_near`, :func:`slider_readout`,
  :func:`press_key`, :func:`scroll_into_view`, :func:`drag_slider`, :func:`find_canvas`,
  :func:`find_explorer_canvas`, :func:`canvas_state`, :func:`wait_canvas_settled`,
  :func:`wait_canvas_change`, :func:`click_canvas`, :func:`figure_fraction`;
- notebooks: :func:`write_notebook`, :func:`prepare_notebooks` and the demo notebook
  (:data:`DEMO_NOTEBOOK`: a log slider redraws a line, a click moves a marker).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--mute-audio",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
SERVER_START_TIMEOUT = 60.0  # seconds; a cold JupyterLab start takes 3 to 10 s on 2 cores
KERNEL_TIMEOUT_MS = 60_000
RUN_ALL_TIMEOUT_MS = 120_000


# --------------------------------------------------------------------------- servers


@dataclass
class Server:
    """A Jupyter server process listening on 127.0.0.1."""

    name: str
    process: subprocess.Popen
    port: int
    token: str
    log_path: Path
    runtime_dir: Path
    _log_file: object = field(repr=False, default=None)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str, **query: str) -> str:
        """Absolute URL of ``path`` with the token (and ``query``) appended."""
        params = "&".join([f"token={self.token}", *(f"{k}={v}" for k, v in query.items())])
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}{params}"

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """End the server's process group (terminate, then kill), then any kernel it left."""
        stop_process_group(self.process, timeout)
        kill_processes_mentioning(str(self.runtime_dir))
        if self._log_file is not None:
            self._log_file.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def isolated_env(home: Path) -> dict[str, str]:
    """Environment for a Jupyter server whose settings, kernels and state live in ``home``.

    Nothing is read from the user's ``~/.jupyter``, ``~/.local/share/jupyter`` or IPython
    profile, and the only ``python3`` kernelspec the server finds runs ``sys.executable``:
    the notebooks' kernel is this virtual environment's interpreter, whatever ``PATH`` says.
    """
    config, data, runtime = home / "config", home / "data", home / "runtime"
    kernel_dir = data / "kernels" / "python3"
    kernel_dir.mkdir(parents=True, exist_ok=True)
    runtime.mkdir(parents=True, exist_ok=True)
    (home / "ipython").mkdir(exist_ok=True)
    kernelspec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": True},
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(kernelspec, indent=1))
    # JupyterLab: no news feed, no update check, no "track usage?" questions.
    settings = config / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("JUPYTER", "IPYTHON", "MPLBACKEND", "PYTHONSTARTUP"))
    }
    env.update(
        JUPYTER_CONFIG_DIR=str(config),
        JUPYTER_DATA_DIR=str(data),
        JUPYTER_PATH=str(data),
        JUPYTER_RUNTIME_DIR=str(runtime),
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTERLAB_SETTINGS_DIR=str(config / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(config / "lab" / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_jupyterlab(root_dir: Path, home: Path, timeout: float = SERVER_START_TIMEOUT) -> Server:
    """Start ``python -m jupyter lab`` serving ``root_dir`` on 127.0.0.1 with a random token.

    ``window.jupyterapp`` is exposed so that pages can run JupyterLab commands by id.
    """
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return _start("jupyterlab", argv, port, token, home, f"/api/status?token={token}", timeout)


def start_notebook7(root_dir: Path, home: Path, timeout: float = SERVER_START_TIMEOUT) -> Server:
    """Start Notebook 7 (``python -m jupyter notebook``) serving ``root_dir`` on 127.0.0.1.

    A notebook's page is ``/notebooks/<path>``: one document, in Notebook 7's own
    front end (built from JupyterLab's components, so ``window.jupyterapp``, exposed here,
    takes the same commands). The JupyterLab server extension loads in the same server:
    the ``LabApp`` options keep it from looking for news, updates or extensions.
    """
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "jupyter", "notebook",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return _start("notebook7", argv, port, token, home, f"/api/status?token={token}", timeout)


def start_voila(
    root_dir: Path, home: Path, notebook: str | None = None, timeout: float = SERVER_START_TIMEOUT
) -> Server:
    """Start Voila on 127.0.0.1: the whole ``root_dir`` tree, or one ``notebook`` in it.

    Served pages are ``/voila/render/<name>.ipynb`` for a tree, ``/`` for one notebook.
    Tracebacks are shown, so that a failing cell shows up as an error output.
    """
    port, token = free_port(), secrets.token_hex(16)
    argv = [
        sys.executable, "-m", "voila",
        str(root_dir / notebook) if notebook else str(root_dir),
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",
        f"--token={token}",
        "--show_tracebacks=True",
        # Kernels' connection files go to the private runtime directory, not /tmp/voila_*,
        # so that Server.stop() can find a kernel the server failed to shut down.
        f"--Voila.connection_dir_root={home / 'runtime'}",
    ]  # fmt: skip
    return _start("voila", argv, port, token, home, f"/?token={token}", timeout)


def _start(
    name: str, argv: list[str], port: int, token: str, home: Path, probe: str, timeout: float
) -> Server:
    env = isolated_env(home)
    log_path = home / f"{name}.log"
    log_file = open(log_path, "wb")  # noqa: SIM115 - closed by Server.stop
    process = subprocess.Popen(
        argv,
        cwd=home,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so that stop() reaches its children
    )
    server = Server(name, process, port, token, log_path, Path(env["JUPYTER_RUNTIME_DIR"]))
    server._log_file = log_file
    try:
        wait_http_ok(f"{server.base_url}{probe}", process, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def wait_http_ok(url: str, process: subprocess.Popen, timeout: float) -> None:
    """Poll ``url`` until it answers 200; fail early if ``process`` has exited."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode} before {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no answer from {url} within {timeout:.0f} s")
        time.sleep(0.1)


def stop_process_group(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM the group led by ``process``, wait, SIGKILL it if it is still there."""
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    # Children may outlive a leader that exited: kill whatever is left of the group.
    _signal_group(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_processes_mentioning(marker: str) -> list[int]:
    """SIGKILL this user's processes whose command line contains ``marker``; return their ids.

    Kernels start in sessions of their own, so a server killed before it could shut them
    down leaves them behind; their command line names the connection file in the server's
    private runtime directory, which is what ``marker`` is.
    """
    killed = []
    proc = Path("/proc")
    if not proc.is_dir():
        return killed
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if marker in cmdline:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                pass
    return killed


# --------------------------------------------------------------------------- browser


def find_chromium() -> str | None:
    """Path of Debian's Chromium, or None."""
    for candidate in CHROMIUM_CANDIDATES:
        path = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if path and os.access(path, os.X_OK):
            return path
    return None


def launch_chromium(playwright, executable: str, headless: bool = True):
    """Launch ``executable`` (never a downloaded browser) through Playwright."""
    return playwright.chromium.launch(
        executable_path=executable, headless=headless, args=CHROMIUM_ARGS
    )


def is_local_url(url: str) -> bool:
    """True for data:/blob: URLs and for http(s)/ws(s) URLs to this machine."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob"):
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in LOCAL_HOSTS


def new_local_page(browser, viewport=(1280, 900)):
    """A page in a fresh context that may reach only loopback; returns ``(context, page)``.

    Every other request is aborted and recorded in ``page.blocked_urls``; console errors
    and uncaught page errors are recorded in ``page.console_errors``.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    blocked: list[str] = []

    def route(route):
        if is_local_url(route.request.url):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def route_socket(socket_route):
        blocked.append(socket_route.url)
        socket_route.close()

    context.route("**/*", route)
    context.route_web_socket(lambda url: not is_local_url(url), route_socket)
    page = context.new_page()
    page.blocked_urls = blocked
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    page.on("pageerror", lambda error: page.console_errors.append(f"pageerror: {error}"))
    return context, page


# --------------------------------------------------------------------------- JupyterLab pages

_CURRENT_KERNEL_JS = """() => {
    const widget = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const session = widget && widget.sessionContext && widget.sessionContext.session;
    const kernel = session && session.kernel;
    return kernel ? {status: kernel.status, connection: kernel.connectionStatus} : null;
}"""


def open_notebook(page, server: Server, path: str, timeout: float = KERNEL_TIMEOUT_MS) -> None:
    """Open ``path`` (relative to the server's root) and wait for an idle kernel.

    In JupyterLab (a server from :func:`start_jupyterlab`) ``?reset`` drops the workspace
    a previous page of the same server saved, so every page starts with this one notebook
    open; in Notebook 7 (:func:`start_notebook7`) the page is the notebook alone, at
    ``/notebooks/<path>``, the address ``jupyter notebook`` opens. Both servers expose
    ``window.jupyterapp``.
    """
    if server.name == "notebook7":
        url = server.url(f"notebooks/{path}")
    else:
        url = server.url(f"lab/tree/{path}", reset="")
    page.goto(url, wait_until="domcontentloaded")
    page.locator(".jp-NotebookPanel").first.wait_for(timeout=timeout)
    # A notebook without kernelspec metadata asks which kernel to start: take the default.
    outcome = page.wait_for_function(
        f"""() => document.querySelector('.jp-Dialog') ? 'dialog'
            : (({_CURRENT_KERNEL_JS})() || {{}}).status === 'idle' ? 'idle' : false""",
        timeout=timeout,
        polling=100,
    ).json_value()
    if outcome == "dialog":
        page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
    wait_kernel_idle(page, timeout)


def wait_kernel_idle(page, timeout: float = KERNEL_TIMEOUT_MS) -> None:
    """Wait until the current notebook's kernel is connected and idle."""
    page.wait_for_function(
        f"() => {{ const k = ({_CURRENT_KERNEL_JS})(); "
        "return !!k && k.status === 'idle' && k.connection === 'connected'; }",
        timeout=timeout,
        polling=100,
    )


def restart_and_run_all(page, timeout: float = RUN_ALL_TIMEOUT_MS) -> bool:
    """Restart the kernel and run every cell, as Kernel > Restart Kernel and Run All Cells...

    Runs the command ``notebook:restart-run-all`` (the menu item's command in JupyterLab 4;
    its promise settles once the last cell has run), accepts the "Restart Kernel?" dialog
    by its button, then waits until no prompt shows ``[*]`` and the kernel is idle.
    Returns False if a cell raised (JupyterLab then stops running cells); the error itself
    is listed by :func:`assert_no_errors`.
    """
    page.evaluate(
        """() => {
            window.__harnessRunAll = undefined;
            window.jupyterapp.commands.execute('notebook:restart-run-all').then(
                (ok) => { window.__harnessRunAll = {ok: ok !== false}; },
                (error) => { window.__harnessRunAll = {error: String(error)}; },
            );
        }"""
    )
    dialog_button = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
    dialog_button.click(timeout=15_000)
    page.wait_for_function("() => window.__harnessRunAll !== undefined", timeout=timeout)
    result = page.evaluate("() => window.__harnessRunAll")
    if "error" in result:
        raise RuntimeError(f"notebook:restart-run-all failed: {result['error']}")
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputArea-prompt')]
            .some((prompt) => prompt.textContent.includes('*'))""",
        timeout=timeout,
    )
    wait_kernel_idle(page, timeout)
    return result["ok"]


def run_all_from_menu(page, timeout: float = RUN_ALL_TIMEOUT_MS) -> bool:
    """Run every cell as a new student does: a click on the menu bar's Run, then on
    Run All Cells (the same menu in JupyterLab and Notebook 7), in the kernel as it is.

    The clicks are a person's; the page is only watched: the promise of the command the
    menu item runs (``notebook:run-all-cells``, settled once the last cell has run) is
    picked up from the command registry's ``commandExecuted`` signal. Then waits until no
    prompt shows ``[*]`` and the kernel is idle. Returns False if a cell raised (the run
    stops there); the error itself is listed by :func:`assert_no_errors`.
    """
    page.evaluate(
        """() => {
            window.__harnessRunAll = undefined;
            const commands = window.jupyterapp.commands;
            const watch = (_, executed) => {
                if (executed.id !== 'notebook:run-all-cells') return;
                commands.commandExecuted.disconnect(watch);
                Promise.resolve(executed.result).then(
                    (ok) => { window.__harnessRunAll = {ok: ok !== false}; },
                    (error) => { window.__harnessRunAll = {error: String(error)}; },
                );
            };
            commands.commandExecuted.connect(watch);
        }"""
    )
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).click()
    item = page.locator(".lm-Menu .lm-Menu-item", has_text=re.compile(r"^\s*Run All Cells"))
    item.first.click()
    page.wait_for_function("() => window.__harnessRunAll !== undefined", timeout=timeout)
    result = page.evaluate("() => window.__harnessRunAll")
    if "error" in result:
        raise RuntimeError(f"Run All Cells failed: {result['error']}")
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputArea-prompt')]
            .some((prompt) => prompt.textContent.includes('*'))""",
        timeout=timeout,
    )
    wait_kernel_idle(page, timeout)
    return result["ok"]


def run_cell(page, containing: str, timeout: float = RUN_ALL_TIMEOUT_MS) -> int:
    """Run the first cell whose source contains ``containing``, as a student does with
    Shift+Enter (JupyterLab sends the cell's id with the request); returns its index."""
    index = page.evaluate(
        """async ([text]) => {
            const notebook = window.jupyterapp.shell.currentWidget.content;
            const index = notebook.widgets.findIndex(
                (cell) => cell.model.sharedModel.getSource().includes(text));
            if (index < 0) return -1;
            notebook.activeCellIndex = index;
            await window.jupyterapp.commands.execute('notebook:run-cell');
            return index;
        }""",
        [containing],
    )
    if index < 0:
        raise AssertionError(f"no cell contains {containing!r}")
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputArea-prompt')]
            .some((prompt) => prompt.textContent.includes('*'))""",
        timeout=timeout,
    )
    wait_kernel_idle(page, timeout)
    return index


def open_voila(page, server: Server, path: str, timeout: float = RUN_ALL_TIMEOUT_MS) -> None:
    """Open ``path`` in a Voila server serving a tree; wait until Voila shows the cells.

    Voila runs every cell before it sends the end of the page (it stops at the first
    error, rendered as a stderr output); widgets then render in the browser.
    """
    page.goto(server.url(f"voila/render/{path}"), timeout=timeout)
    page.locator("#rendered_cells").wait_for(state="visible", timeout=timeout)


_ERROR_OUTPUTS_JS = """(root) => [...(root || document).querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"],' +
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"],' +
    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"],' +
    '.jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]'
)].map((output) => output.innerText.trim())"""


def error_outputs(page) -> list[str]:
    """Texts of the page's stderr and error (traceback) outputs, in document order."""
    texts = page.evaluate(_ERROR_OUTPUTS_JS)
    return list(dict.fromkeys(texts))  # an output can match both of its nested elements


def assert_no_errors(page, allow: tuple[str, ...] = ()) -> None:
    """Fail listing every stderr/error output, except those containing a string in ``allow``."""
    errors = [text for text in error_outputs(page) if not any(a in text for a in allow)]
    if errors:
        listing = "\n\n".join(f"--- output {i + 1}:\n{text}" for i, text in enumerate(errors))
        raise AssertionError(f"{len(errors)} error output(s) in the page:\n{listing}")


def page_errors(page, allow: tuple[str, ...] = ()) -> list[str]:
    """The page's uncaught errors so far (from :func:`new_local_page`'s record), except
    those containing a string in ``allow``."""
    return [
        text.removeprefix("pageerror: ")
        for text in page.console_errors
        if text.startswith("pageerror: ") and not any(a in text for a in allow)
    ]


def output_texts(page) -> list[str]:
    """Texts of the page's plain-text outputs (``print`` and ``text/plain`` results)."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stdout"],' +
            '.jp-OutputArea-output[data-mime-type="text/plain"]'
        )].map((output) => output.innerText)"""
    )


# --------------------------------------------------------------------------- widgets and canvas


def find_slider(page, description: str | None = None, timeout: float = 30_000):
    """Locator of the keyboard handle of an ipywidgets slider (the first one, or by label).

    ``description`` matches the slider's label text, case-insensitively, as a substring.
    The handle (``role=slider``) is what a student focuses with Tab or a click.
    """
    sliders = page.locator(".widget-slider:visible")  # hidden controls are in the page too
    if description is not None:
        sliders = sliders.filter(
            has=page.locator(".widget-label", has_text=_ignore_case(description))
        )
    handle = sliders.first.locator("[role=slider]").first
    handle.wait_for(timeout=timeout)
    return handle


def slider_near(canvas, description: str | None = None, timeout: float = 30_000):
    """Keyboard handle of a slider in the same widget as ``canvas`` (from :func:`find_canvas`).

    The widget is the canvas's nearest ancestor holding a visible slider: for an Explorer,
    its own controls. ``description`` picks the slider by label as in :func:`find_slider`;
    if no slider there has that label, the widget's first slider is taken.
    """
    page = canvas.page
    widget = canvas.locator(
        "xpath=ancestor::*[.//*[contains(concat(' ', @class, ' '), ' widget-slider ')]][1]"
    )
    sliders = widget.locator(".widget-slider:visible")
    if description is not None:
        named = sliders.filter(
            has=page.locator(".widget-label", has_text=_ignore_case(description))
        )
        sliders = named if named.count() else sliders
    handle = sliders.first.locator("[role=slider]").first
    handle.wait_for(timeout=timeout)
    return handle


def _ignore_case(text: str) -> re.Pattern:
    return re.compile(re.escape(text), re.IGNORECASE)


def slider_readout(handle) -> str:
    """The value text a slider shows next to its track."""
    slider = handle.locator("xpath=ancestor::*[contains(@class, 'widget-slider')][1]")
    return slider.locator(".widget-readout").inner_text().strip()


def press_key(handle, key: str = "ArrowRight") -> None:
    """Focus ``handle`` the way a keyboard user does, then press ``key`` on it."""
    handle.focus()
    handle.press(key)


def scroll_into_view(locator, timeout: float = 15_000, interval: float = 0.1) -> dict:
    """Scroll ``locator`` into the viewport and wait until it stays there; return its box.

    Notebook 7 (its windowing mode ``contentVisibility``) lays out cells out of view lazily:
    cells scrolled past take their real height and move what is below, so one scroll can
    leave an element outside the viewport, and a box read right after it can be stale.
    Scrolls again until the element's box is inside the viewport and the same on three
    polls ``interval`` seconds apart.
    """
    page = locator.page
    deadline = time.monotonic() + timeout / 1000
    last, same = None, 0
    while True:
        locator.scroll_into_view_if_needed(timeout=timeout)
        box = locator.bounding_box()
        view = page.viewport_size or page.evaluate(
            "() => ({width: window.innerWidth, height: window.innerHeight})"
        )
        inside = box is not None and (
            box["x"] >= 0 and box["y"] >= 0
            and box["x"] + box["width"] <= view["width"]
            and box["y"] + box["height"] <= view["height"]
        )  # fmt: skip
        same = same + 1 if inside and box == last else 0
        if same >= 2:
            return box
        if time.monotonic() > deadline:
            raise AssertionError(f"could not keep the element in view: box {box}, view {view}")
        last = box
        time.sleep(interval)


def drag_slider(handle, fraction: float = 0.15) -> None:
    """Drag a slider's handle by ``fraction`` of its track with the mouse, as a person does:
    press on the handle, move in steps, release.

    The drag goes towards the middle of the track (from ``aria-valuenow`` within
    ``aria-valuemin``..``aria-valuemax``), so it never pushes against an end. The track is
    ipywidgets' noUiSlider (``.noUi-target``).
    """
    box = scroll_into_view(handle)
    low, value, high = (
        float(handle.get_attribute(f"aria-value{name}")) for name in ("min", "now", "max")
    )
    track = handle.locator("xpath=ancestor::*[contains(@class, 'noUi-target')][1]").bounding_box()
    if track is None:
        raise AssertionError("the slider's track is not displayed")
    vertical = track["height"] > track["width"]
    length = fraction * (track["height"] if vertical else track["width"])
    towards_high = value <= (low + high) / 2
    # noUiSlider puts the high end of a vertical slider at the top.
    dx, dy = (0, -length if towards_high else length) if vertical else (
        length if towards_high else -length, 0
    )
    mouse = handle.page.mouse
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    mouse.move(x, y)
    mouse.down()
    mouse.move(x + dx, y + dy, steps=8)
    mouse.up()


def wait_canvas_settled(canvas, quiet: float = 1.5, timeout: float = 30_000) -> dict:
    """Wait until the canvas's pixels have stayed the same for ``quiet`` seconds; return its
    state. A figure can arrive in several frames (ipympl sends the first draw, then a
    redraw at the size the page gave it): a state read before they are in would change
    without anyone touching a control."""
    deadline = time.monotonic() + timeout / 1000
    state = canvas_state(canvas)
    since = time.monotonic()
    while True:
        time.sleep(0.1)
        now = canvas_state(canvas)
        if now["hash"] != state["hash"]:
            state, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"the canvas was still changing after {timeout / 1000:.0f} s")


def find_canvas(page, index: int = 0, timeout: float = 30_000, within: str | None = None):
    """Locator of the image canvas of the ``index``-th ipympl figure on the page.

    ipympl 0.10 stacks two canvases in ``.jupyter-matplotlib-canvas-div``: the first holds
    the figure's pixels, the second (on top) draws the rubber band and receives the mouse.
    Waits until the figure has been drawn at least once. ``within`` (a CSS selector) counts
    only the figures inside such elements: ``within=EXPLORER`` finds Explorers' maps, not
    a lesson's other interactive figures (see :func:`find_explorer_canvas`).
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    figures = f"{within} .jupyter-matplotlib-canvas-div" if within else (
        ".jupyter-matplotlib-canvas-div"
    )
    canvas = page.locator(figures).nth(index).locator("canvas").first
    try:
        canvas.wait_for(timeout=timeout)
        page.wait_for_function(
            f"(canvas) => ({CANVAS_STATE_JS})(canvas).inked > 0",
            arg=canvas.element_handle(),
            timeout=timeout,
            polling="raf",
        )
    except PlaywrightTimeoutError:
        sizes = page.evaluate(
            """() => [...document.querySelectorAll('.jupyter-matplotlib-canvas-div canvas')]
                .filter((canvas, i) => i % 2 === 0).map((c) => [c.width, c.height])"""
        )
        raise AssertionError(
            f"ipympl figure {index} was not drawn within {timeout / 1000:.0f} s; canvas sizes "
            f"on the page: {sizes}; console errors: {getattr(page, 'console_errors', '?')}"
        ) from None
    return canvas


# The CSS class of an Explorer's widget (lossviz.widgets.explorer): its figure and controls.
EXPLORER = ".lossviz-explorer"


def find_explorer_canvas(page, index: int = 0, timeout: float = 30_000):
    """Locator of the ``index``-th Explorer's figure canvas, once drawn (:func:`find_canvas`)."""
    return find_canvas(page, index, timeout, within=EXPLORER)


# FNV-1a over every pixel, plus the count of pixels that are neither transparent nor white.
CANVAS_STATE_JS = """(canvas) => {
    const {width, height} = canvas;
    if (!width || !height) return {width, height, inked: 0, hash: 0};
    const data = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    let hash = 2166136261, inked = 0;
    for (let i = 0; i < data.length; i += 4) {
        const r = data[i], g = data[i + 1], b = data[i + 2], a = data[i + 3];
        if (a !== 0 && (r < 250 || g < 250 || b < 250)) inked++;
        hash = Math.imul(hash ^ (r | (g << 8) | (b << 16) | (a << 24)), 16777619);
    }
    return {width, height, inked, hash: hash >>> 0};
}"""


def canvas_state(canvas) -> dict:
    """``{width, height, inked, hash}`` of a canvas's pixels, read with ``getImageData``."""
    return canvas.evaluate(CANVAS_STATE_JS)


def wait_canvas_change(canvas, before: dict, timeout: float = 15_000) -> dict:
    """Wait until the canvas's pixels differ from ``before``; return the new state."""
    canvas.page.wait_for_function(
        f"([canvas, hash]) => ({CANVAS_STATE_JS})(canvas).hash !== hash",
        arg=[canvas.element_handle(), before["hash"]],
        timeout=timeout,
        polling="raf",
    )
    return canvas_state(canvas)


def click_canvas(canvas, x: float, y: float, button: str = "left") -> None:
    """Click the figure at figure fraction ``(x, y)``: (0, 0) bottom left, (1, 1) top right.

    This is matplotlib's ``fig.transFigure`` convention. For data coordinates of an axes at
    ``ax.get_position()`` = (x0, y0, width, height) and limits (xmin, xmax), (ymin, ymax):
    ``x = x0 + width * (xd - xmin) / (xmax - xmin)``, likewise for ``y``.
    """
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    if box is None:
        raise AssertionError("the canvas is not displayed")
    canvas.page.mouse.click(
        box["x"] + x * box["width"], box["y"] + (1 - y) * box["height"], button=button
    )


def figure_fraction(
    xy: tuple[float, float],
    axes_bounds: tuple[float, float, float, float],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
) -> tuple[float, float]:
    """Figure fraction of data point ``xy`` in linear axes at ``ax.get_position().bounds``."""
    x0, y0, width, height = axes_bounds
    return (
        x0 + width * (xy[0] - xlim[0]) / (xlim[1] - xlim[0]),
        y0 + height * (xy[1] - ylim[0]) / (ylim[1] - ylim[0]),
    )


# --------------------------------------------------------------------------- demo notebook

DEMO_NOTEBOOK = "harness_demo.ipynb"
# Where the demo's axes sit in its figure, and their limits: see DEMO_CELLS.
DEMO_AXES_BOUNDS = (0.1, 0.1, 0.8, 0.8)
DEMO_LIMITS = ((0.0, 1.0), (0.0, 1.0))

DEMO_CELLS = [
    """\
import sys

import lossviz

print("kernel prefix:", sys.prefix)
print("lossviz:", lossviz.__file__)""",
    """\
%matplotlib widget
import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

with plt.ioff():
    fig, ax = plt.subplots(figsize=(4, 3))
fig.subplots_adjust(left=0.1, bottom=0.1, right=0.9, top=0.9)
fig.canvas.header_visible = False
x = np.linspace(0, 1, 200)
(line,) = ax.plot(x, x, lw=3)
(marker,) = ax.plot([0.5], [0.5], "o", ms=12, color="C3")
ax.set(xlim=(0, 1), ylim=(0, 1))

exponent = widgets.FloatLogSlider(
    value=1.0, base=10, min=-1, max=1, step=0.05, description="exponent"
)
clicked = widgets.Label("no click yet")


def show_exponent(change):
    line.set_ydata(x ** change["new"])
    fig.canvas.draw_idle()


def move_marker(event):
    if event.inaxes is ax:
        marker.set_data([event.xdata], [event.ydata])
        clicked.value = f"clicked at {event.xdata:.3f}, {event.ydata:.3f}"
        fig.canvas.draw_idle()


exponent.observe(show_exponent, names="value")
fig.canvas.mpl_connect("button_press_event", move_marker)
widgets.VBox([exponent, fig.canvas, clicked])""",
]


def write_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook (nbformat 4.5) of code ``cells`` for the ``python3`` kernel."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{number}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for number, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    return path


def prepare_notebooks(source: Path, target: Path) -> Path:
    """Copy the ``source`` notebooks folder to ``target`` and add the demo notebook to it.

    Servers serve the copy, so that their checkpoints and autosaves never touch the repo.
    """
    if source.is_dir():
        shutil.copytree(
            source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"), dirs_exist_ok=True
        )
    target.mkdir(parents=True, exist_ok=True)
    write_notebook(target / DEMO_NOTEBOOK, DEMO_CELLS)
    return target


# --------------------------------------------------------------------------- the kernel

def kernel_output(page, code: str, timeout: float = 30_000) -> str:
    """Run ``code`` in the current notebook's kernel (not in a cell); return its stdout.

    Lets a test read what the page's widgets did on the Python side, e.g. where an
    Explorer's paths start after a click.
    """
    return page.evaluate(
        """async ([code, timeout]) => {
            const widget = window.jupyterapp.shell.currentWidget;
            const kernel = widget.sessionContext.session.kernel;
            const future = kernel.requestExecute({code, store_history: false});
            let out = '';
            future.onIOPub = (msg) => {
                if (msg.header.msg_type === 'stream') out += msg.content.text;
                if (msg.header.msg_type === 'error') out += msg.content.ename + ': '
                    + msg.content.evalue;
            };
            const timer = new Promise((_, reject) =>
                setTimeout(() => reject(new Error('kernel_output timed out')), timeout));
            await Promise.race([future.done, timer]);
            return out;
        }""",
        [code, timeout],
    )


# Finds the Explorer a notebook shows, whatever the lesson named its variable.
LAST_EXPLORER = (
    "import gc, json\nfrom lossviz import Explorer\n"
    "_ex = [o for o in gc.get_objects() if isinstance(o, Explorer) and not o.closed][-1]\n"
)


def explorer_state(page) -> dict:
    """The last Explorer's start, paths' first point, learning rates, and map geometry."""
    code = LAST_EXPLORER + (
        "_ax = _ex.figure.axes[0]\n"
        "print(json.dumps({'start': _ex.start.tolist(),\n"
        "  'path_starts': _ex.run.path[:, 0].tolist(),\n"
        "  'lr': {n: h['lr'] for n, h in _ex.hyperparameters.items()},\n"
        "  'frames': _ex.stats['frames'], 'error': _ex.error,\n"
        "  'bounds': list(_ax.get_position().bounds),\n"
        "  'xlim': list(_ax.get_xlim()), 'ylim': list(_ax.get_ylim())}))"
    )
    text = kernel_output(page, code)
    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise AssertionError(f"could not read the Explorer's state: {text!r}") from None


def keep_screenshot(page, selector: str, name: str) -> None:
    """Save the first ``selector`` element as ``name`` where ``LOSSVIZ_SCREENSHOTS`` names a
    folder (for a look at what a test saw); nothing otherwise."""
    folder = os.environ.get("LOSSVIZ_SCREENSHOTS")
    if folder:
        page.locator(selector).first.screenshot(path=str(Path(folder) / name))
