"""Ingest of audio-video records: originals in (tus and multipart uploads, the collection station),
probing, previews, and serving the stored bytes back with byte ranges.

Clause integ-no-tamper-original: an original is stored exactly as received and flagged, never refused
for what it contains nor repaired; everything learnt about it later is a row of its own.
"""
