"""Converters from released SAR dataset formats to the formats sar_mm's datasets read."""
from .hrsid import convert_hrsid_mini
from .voc import VOCFormatError, convert_voc_to_coco, parse_voc_xml, voc_box_to_coco, voc_to_coco

__all__ = [
    'convert_hrsid_mini', 'VOCFormatError', 'convert_voc_to_coco', 'parse_voc_xml',
    'voc_box_to_coco', 'voc_to_coco'
]
