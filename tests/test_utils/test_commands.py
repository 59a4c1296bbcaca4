"""sar_mm.utils.commands.run_logged: the log file, echoing, and the error on failure."""
import os.path as osp
import sys

import pytest

from sar_mm.utils import CommandError, log_tail, run_logged

PY = sys.executable


def test_success_writes_log(tmp_path, capsys):
    log = tmp_path / 'logs' / 'child.log'  # the folder is created
    seconds = run_logged([PY, '-c', 'import sys; print("out"); print("err", file=sys.stderr)'],
                         str(log))
    assert seconds >= 0
    assert sorted(log.read_text().split()) == ['err', 'out']  # stdout and stderr, any order
    assert capsys.readouterr().out == ''  # not echoed by default


def test_echo_cwd_env(tmp_path, capsys):
    log = tmp_path / 'child.log'
    run_logged([PY, '-c', 'import os; print(os.getcwd()); print(os.environ["SAR_MM_X"])'],
               str(log),
               cwd=str(tmp_path),
               env=dict(PATH='', SAR_MM_X='forty-two'),
               echo=True)
    lines = log.read_text().splitlines()
    assert osp.samefile(lines[0], tmp_path) and lines[1] == 'forty-two'
    assert capsys.readouterr().out == log.read_text()


@pytest.mark.parametrize('echo', [False, True])
def test_failure_names_command_log_and_tail(tmp_path, echo):
    log = tmp_path / 'fail.log'
    code = 'import sys\nfor i in range(100): print(f"line {i}")\nsys.exit(3)'
    with pytest.raises(CommandError) as info:
        run_logged([PY, '-c', code], str(log), echo=echo, tail_lines=5)
    err = info.value
    assert isinstance(err, RuntimeError)
    assert err.returncode == 3 and err.log_path == str(log)
    assert err.tail.splitlines() == [f'line {i}' for i in range(95, 100)]
    message = str(err)
    assert f'{PY} -c' in message and 'exit 3' in message and str(log) in message
    assert message.endswith('line 99') and 'line 94' not in message
    assert log.read_text().count('\n') == 100  # the whole output stays in the log


def test_log_tail_limits(tmp_path):
    path = tmp_path / 'a.log'
    path.write_text('short\n' + 'x' * 50 + '\n')
    assert log_tail(str(path), max_lines=1) == 'x' * 50
    assert log_tail(str(path), max_lines=5, max_chars=10) == 'x' * 10


def test_bad_commands(tmp_path):
    with pytest.raises(ValueError, match='empty command'):
        run_logged([], str(tmp_path / 'a.log'))
    with pytest.raises(FileNotFoundError):
        run_logged([str(tmp_path / 'no-such-program')], str(tmp_path / 'b.log'))
