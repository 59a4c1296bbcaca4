from .module_table import module_table, registered_modules

__all__ = ['module_table', 'registered_modules']
