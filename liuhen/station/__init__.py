"""采集站 (collection station): the program on the PC where body cameras are docked.

Standalone: it needs only the server's URL and an API token (``tuspy`` and ``requests``), never
Django or the database. See ``liuhen.station.__main__`` for the command line.
"""
