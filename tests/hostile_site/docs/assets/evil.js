alert('static-js');
