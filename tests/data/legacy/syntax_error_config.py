# An old profile config, still in Python 2.
c = get_config()

c.NotebookApp.port = 8888
print "notebook config loaded"
c.NotebookApp.open_browser = False
