# Configuration file for jupyter-notebook.

#------------------------------------------------------------------------------
# Application(SingletonConfigurable) configuration
#------------------------------------------------------------------------------

## This is an application.

## The date format used by logging formatters for %(asctime)s
#c.Application.log_datefmt = '%Y-%m-%d %H:%M:%S'

#------------------------------------------------------------------------------
# NotebookApp(JupyterApp) configuration
#------------------------------------------------------------------------------

## Set the Access-Control-Allow-Origin header
c.NotebookApp.allow_origin = '*'

## The base URL for the notebook server.
c.NotebookApp.base_url = '/jupyter'

## The full path to an SSL/TLS certificate file.
c.NotebookApp.certfile = u'/etc/letsencrypt/live/nb.example.org/fullchain.pem'

## The IP address the notebook server will listen on.
c.NotebookApp.ip = '0.0.0.0'

## The full path to a private key file for usage with SSL/TLS.
c.NotebookApp.keyfile = u'/etc/letsencrypt/live/nb.example.org/privkey.pem'

## The directory to use for notebooks and kernels.
c.NotebookApp.notebook_dir = u'/srv/notebooks'

## Whether to open in a browser after starting.
c.NotebookApp.open_browser = False

## Hashed password to use for web authentication.
c.NotebookApp.password = u'sha1:67c9e60bb8b6:8136fc7898d555ae4a3f8d3fbfa2872663a6d14b'

## The port the notebook server will listen on.
c.NotebookApp.port = 8888

## Supply overrides for the tornado.web.Application that the Jupyter notebook
#  uses.
c.NotebookApp.tornado_settings = {
    'static_url_prefix': '/notebook/static/',
    'headers': {'Content-Security-Policy': "frame-ancestors 'self'"},
}

## Whether to trust or not X-Scheme/X-Forwarded-Proto and X-Real-Ip/X-Forwarded-
#  For headerssent by the upstream reverse proxy.
c.NotebookApp.trust_xheaders = True

#------------------------------------------------------------------------------
# ContentsManager(LoggingConfigurable) configuration
#------------------------------------------------------------------------------

c.ContentsManager.allow_hidden = True

#------------------------------------------------------------------------------
# MappingKernelManager(MultiKernelManager) configuration
#------------------------------------------------------------------------------

c.MappingKernelManager.default_kernel_name = 'python3'
