"""Converters from released SAR dataset formats to the formats sar_mm's datasets read."""
from .hrsid import convert_hrsid_mini
from .sar_hub_splits import SARHubSplitError, read_sar_hub_list, write_sar_hub_splits
from .voc import VOCFormatError, convert_voc_to_coco, parse_voc_xml, voc_box_to_coco, voc_to_coco

__all__ = [
    'convert_hrsid_mini', 'VOCFormatError', 'convert_voc_to_coco', 'parse_voc_xml',
    'voc_box_to_coco', 'voc_to_coco', 'SARHubSplitError', 'read_sar_hub_list',
    'write_sar_hub_splits'
]
