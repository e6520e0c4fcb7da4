"""Continuity of audio-video records: what is known about each recording (capture metadata, its case
link and times), recording sessions and the gaps between their segments, interruption notes, device
clock drift, upload deadlines, fixed-camera coverage, findings for follow-up, the AV guard on a case's
stages, and the player's timeline.
"""
