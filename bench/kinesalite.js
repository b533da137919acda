const server = require('kinesalite')({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 })
server.listen(Number(process.argv[2] || 0), '127.0.0.1', () => console.log(`kinesalite ready http://127.0.0.1:${server.address().port}`))
