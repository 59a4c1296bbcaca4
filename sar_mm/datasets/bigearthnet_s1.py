"""BigEarthNet-S1 Sentinel-1 patches with multi-label land-cover annotations."""
from mmpretrain.datasets import MultiLabelDataset
from mmpretrain.registry import DATASETS

from .sar_classification import _INDEX, AnnotationLineError, SARClassificationDataset


@DATASETS.register_module()
class BigEarthNetS1(SARClassificationDataset, MultiLabelDataset):
    """BigEarthNet-S1: Sentinel-1 VV/VH patches, multi-label with the 19-class nomenclature.

    G. Sumbul et al., "BigEarthNet-MM: A large-scale, multimodal, multilabel benchmark archive
    for remote sensing image classification and retrieval", IEEE Geoscience and Remote Sensing
    Magazine 9(3), 2021. The 19 classes (merged CORINE Land Cover level-3 classes) are those of
    G. Sumbul et al., "BigEarthNet dataset with a new class-nomenclature for remote sensing image
    understanding", arXiv:2001.06372, 2020, in the order of that nomenclature (as in torchgeo's
    BigEarthNet datasets).

    **Layout.** List mode only, one patch a line: the path of one file readable by
    ``LoadSARImage`` (e.g. a VV, or a stacked VV/VH ``.tif``/``.npy``), whitespace (or a TAB),
    then the comma-separated class indices of the patch, no spaces between them, as in
    SAR-HUB's ``Pre-training/data/BEN/ben_*.txt``::

        S1A_IW_GRDH_1SDV_20180204T043253_35VPK_4_12_VV.npy 9,10
        S1B_IW_GRDH_1SDV_20170929T045327_34TCS_85_85_VV.npy 0,2

    (Class names are not accepted in the list: several contain commas.) ``gt_label`` is the
    sorted list of distinct indices, as :class:`mmpretrain.datasets.MultiLabelDataset` expects;
    a line without labels, a non-integer label or an index outside the 19 classes is an error
    naming the list file and line. Few-shot sampling is single-label and is not supported.

    Args:
        **kwargs: Arguments of :class:`SARClassificationDataset` except the few-shot ones
            (``data_root``, ``data_prefix``, ``ann_file`` (required), ``metainfo``,
            ``pipeline``, ...).
    """

    METAINFO = dict(
        classes=(
            'Urban fabric',
            'Industrial or commercial units',
            'Arable land',
            'Permanent crops',
            'Pastures',
            'Complex cultivation patterns',
            'Land principally occupied by agriculture, with significant areas of natural '
            'vegetation',
            'Agro-forestry areas',
            'Broad-leaved forest',
            'Coniferous forest',
            'Mixed forest',
            'Natural grassland and sparsely vegetated areas',
            'Moors, heathland and sclerophyllous vegetation',
            'Transitional woodland, shrub',
            'Beaches, dunes, sands',
            'Inland wetlands',
            'Coastal wetlands',
            'Inland waters',
            'Marine waters',
        ))

    def __init__(self, *args, num_shots=None, **kwargs):
        if num_shots is not None:
            raise ValueError('BigEarthNetS1 is multi-label: the stratified few-shot protocol '
                             '(num_shots) is single-label and does not apply; subsample with '
                             'a shorter list file instead')
        super().__init__(*args, **kwargs)

    def load_data_list(self):
        if not self.ann_file:
            raise ValueError('BigEarthNetS1 needs a list file (ann_file) of '
                             '"path l1,l2,..." lines; folder mode cannot express multi-labels')
        return super().load_data_list()

    def _split_line(self, line, lineno):
        path, field = super()._split_line(line, lineno)
        if path.endswith(','):
            raise AnnotationLineError(
                self.ann_file, lineno,
                f'cannot parse {line!r}: write the labels without spaces, e.g. "2,9,10"')
        return path, field

    def _parse_label(self, field, lineno, line):
        """Sorted distinct class indices of a ``l1,l2,...`` label field."""
        tokens = [t.strip() for t in field.split(',')]
        if not all(_INDEX.fullmatch(t) for t in tokens):
            raise AnnotationLineError(
                self.ann_file, lineno,
                f'cannot parse labels {field!r}: expected comma-separated class indices '
                'without spaces, e.g. "2,9,10"')
        labels = sorted({int(t) for t in tokens})
        num_classes = len(self.CLASSES)
        bad = [i for i in labels if not 0 <= i < num_classes]
        if bad:
            raise AnnotationLineError(
                self.ann_file, lineno, f'label index {bad[0]} is outside the {num_classes} classes '
                f'(0..{num_classes - 1})')
        return labels
