"""Run a child command with its output in a log file, failing with the log's last lines.

The demo (``tools/run_demo.py``) and the benchmarks run the repo's own tools (``tools/train.py``,
``tools/test.py``, ``tools/fewshot_eval.py``) as child processes, one log file per run.
"""
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Mapping, Optional, Sequence


class CommandError(RuntimeError):
    """A child command exited with a non-zero status.

    Args:
        cmd (Sequence[str]): The command.
        returncode (int): Its exit status.
        log_path (str): The log file holding its output.
        tail (str): The last lines of that log.
    """

    def __init__(self, cmd, returncode, log_path, tail):
        self.cmd = list(cmd)
        self.returncode = returncode
        self.log_path = log_path
        self.tail = tail
        super().__init__(f'{" ".join(map(str, self.cmd))} failed (exit {returncode}); full log: '
                         f'{log_path}; its last lines:\n{tail}')


def log_tail(log_path: str, max_lines: int = 40, max_chars: int = 4000) -> str:
    """The last ``max_lines`` lines of a text file, at most its last ``max_chars`` characters."""
    with open(log_path, errors='replace') as f:
        lines = f.read().splitlines()
    return '\n'.join(lines[-max_lines:])[-max_chars:]


def run_logged(cmd: Sequence[str],
               log_path: str,
               cwd: Optional[str] = None,
               env: Optional[Mapping[str, str]] = None,
               echo: bool = False,
               tail_lines: int = 40) -> float:
    """Run ``cmd``, writing its stdout and stderr to ``log_path``.

    Args:
        cmd (Sequence[str]): The command and its arguments (no shell).
        log_path (str): The log file (its folder is created; an old log is overwritten).
        cwd (str, optional): Working directory of the command.
        env (Mapping[str, str], optional): Its environment; default: this process's.
        echo (bool): Also stream the output, line by line, to this process's stdout (a long
            run shows its progress). Defaults to False.
        tail_lines (int): Lines of the log quoted in the error. Defaults to 40.

    Returns:
        float: The wall time of the command in seconds.

    Raises:
        CommandError: The command exited with a non-zero status; the message names the command,
            its exit status and the log file, and quotes the log's last lines.
        FileNotFoundError: The program does not exist.
    """
    cmd = [str(c) for c in cmd]
    if not cmd:
        raise ValueError('run_logged: empty command')
    folder = osp.dirname(osp.abspath(log_path))
    os.makedirs(folder, exist_ok=True)
    env = None if env is None else dict(env)
    start = time.perf_counter()
    with open(log_path, 'w') as log:
        if echo:  # tee: console and log
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                errors='replace')
            for line in proc.stdout:
                sys.stdout.write(line)
                log.write(line)
            returncode = proc.wait()
        else:
            returncode = subprocess.run(
                cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = time.perf_counter() - start
    if returncode != 0:
        raise CommandError(cmd, returncode, log_path, log_tail(log_path, tail_lines))
    return seconds
