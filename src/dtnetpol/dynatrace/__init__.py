"""Dynatrace knowledge: the operator's components, DynaKube input, required flows, platforms.

Pure data and functions: nothing here reads files or talks to a cluster.
"""
