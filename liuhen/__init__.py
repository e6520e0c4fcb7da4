"""Liuhen (留痕): whole-process recording of administrative law enforcement."""
