from .commands import CommandError, log_tail, run_logged
from .module_table import module_table, registered_modules

__all__ = ['CommandError', 'log_tail', 'run_logged', 'module_table', 'registered_modules']
