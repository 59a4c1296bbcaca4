from .loading import LoadSARImage

__all__ = ['LoadSARImage']
